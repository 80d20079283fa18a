"""The catalogue of the paper's datasets (the paper profile's data; the readers of their
formats are :mod:`rsclip_utils.datasets`): the registry (``data/registry.json``), a checker of what
is present under a data root, a download helper, and loaders that read each dataset's official
layout into records. Introduced in notebook 00 (paper profile).

    python -m rsclip_utils.catalog list
    python -m rsclip_utils.catalog check DATA_ROOT [--only DOTA,LoveDA] [--json]
    python -m rsclip_utils.catalog download LoveDA --to DATA_ROOT
"""

from .check import (
    PAPER_REQUIRED,
    DatasetStatus,
    check_all,
    check_dataset,
    format_statuses,
    paper_data_status,
)
from .download import DownloadError, OfflineError, download, extract
from .registry import Dataset, RemoteFile, load_registry

__all__ = [
    "PAPER_REQUIRED",
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
    "paper_data_status",
]
