"""Properties of the hvr_model model, stated as named claims."""
