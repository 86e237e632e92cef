"""The installed distribution's version: ``hvr_model.__version__`` and ``hvr-model --version``."""
from importlib import metadata

__all__ = ["__version__"]

try:
    __version__: str = metadata.version("hvr-model")
except metadata.PackageNotFoundError:     # a source tree that was never installed
    __version__ = "0+unknown"
