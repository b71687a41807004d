"""torch.utils.data: datasets, samplers and DataLoader, with torch's module layout
(``dataset``, ``sampler``, ``dataloader``, ``distributed``)."""
from mytorch.utils.data.dataloader import DataLoader, default_collate, default_convert, get_worker_info
from mytorch.utils.data.dataset import (Batched, ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                                        Subset, TensorDataset, random_split)
from mytorch.utils.data.distributed import DistributedSampler
from mytorch.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                                        WeightedRandomSampler)

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info", "Dataset", "IterableDataset",
           "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset", "Subset", "random_split", "Batched",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DistributedSampler"]
