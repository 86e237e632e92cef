"""hvr_model: a formal model of Hyper-V Replica to a secondary VMM site under Azure Site Recovery."""
