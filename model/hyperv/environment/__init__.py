"""Environment machines: the world around the protocol (sites, the link, the vault).

Their states change only through environment actions (faults and their
repairs), which a configuration switches on by name; they are kept apart from
the protocol machines in :mod:`hvr_model.hyperv.protocol`.
"""
from .network import NETWORK, NetworkStatus
from .site import HOST_UP, SITE, VMM_UP, SiteStatus
from .vault import VAULT, VaultStatus

__all__ = ["SITE", "NETWORK", "VAULT", "SiteStatus", "NetworkStatus", "VaultStatus", "HOST_UP", "VMM_UP"]

