"""The paper profile's data: the registry of datasets (``data/registry.json``), a checker of what
is present under a data root, a download helper, and loaders that read each dataset's official
layout into records. Introduced in notebook 00 (paper profile).

    python -m rsclip_utils.data list
    python -m rsclip_utils.data check DATA_ROOT [--only DOTA,LoveDA] [--json]
    python -m rsclip_utils.data download LoveDA --to DATA_ROOT
"""

from .check import DatasetStatus, check_all, check_dataset, format_statuses
from .download import DownloadError, OfflineError, download, extract
from .registry import Dataset, RemoteFile, load_registry

__all__ = [
    "Dataset",
    "DatasetStatus",
    "DownloadError",
    "OfflineError",
    "RemoteFile",
    "check_all",
    "check_dataset",
    "download",
    "extract",
    "format_statuses",
    "load_registry",
]
