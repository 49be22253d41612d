"""Datasets: by name (``synthetic``, MovieLens 100K/1M/latest-small, ``csv:PATH``), their stats and generator."""

from engine.datasets.csv_loader import load_csv
from engine.datasets.download import cache_dir
from engine.datasets.movielens import MOVIELENS, load_movielens
from engine.datasets.registry import SAMPLE_DATA, DatasetInfo, list_datasets, load_dataset
from engine.datasets.stats import dataset_stats
from engine.datasets.synthetic import GENRES, SyntheticData, generate_synthetic, generate_synthetic_data
from engine.datasets.validation import DatasetError

__all__ = [
    "GENRES",
    "MOVIELENS",
    "SAMPLE_DATA",
    "DatasetError",
    "DatasetInfo",
    "SyntheticData",
    "cache_dir",
    "dataset_stats",
    "generate_synthetic",
    "generate_synthetic_data",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "load_movielens",
]
