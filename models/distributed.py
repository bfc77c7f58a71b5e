"""Data-parallel training across processes started by torchrun, behind a narrow interface.

The trainer talks to a *group*: `Local()` for one process (every method a no-op or the
identity, so single-process training is unchanged) or `DataParallel`, made by `from_env`
when torchrun's RANK / WORLD_SIZE / LOCAL_RANK are set:

    group = from_env(device)          # init_process_group: gloo on CPU, nccl on CUDA
    try:
        result = run_training(model, images, group=group)
        if group.is_main: save(...)   # one writer
        group.barrier()               # the others wait until the file is written
    finally:
        group.close()                 # destroy_process_group

What the trainer asks of a group: `wrap` the model (DistributedDataParallel averages the
gradients), the training rows of this process for an epoch (`epoch_order`, a
DistributedSampler), sums over all processes (`sum`: validation and training loss sums
and counts), agreement to stop (`any`: Ctrl-C or a non-finite loss in one process stops
all of them at the same batch, so no process waits forever in a collective), and, for the
adversarial AE whose phases bypass the wrapped forward, `average_gradients`.
"""

from __future__ import annotations

import datetime
import math
import os
import warnings
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

ENV_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


class Local:
    """One process: the identity group."""

    rank = 0
    world_size = 1
    local_rank = 0

    def __init__(self, device: torch.device | None = None):
        self.device = device or torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, model: nn.Module) -> nn.Module:
        return model

    def local_count(self, n: int) -> int:
        """Training rows this process sees per epoch."""
        return n

    def epoch_order(self, n: int, epoch: int, generator: torch.Generator) -> torch.Tensor:
        """This process's training rows for 0-based `epoch`, in the order to train them."""
        return torch.randperm(n, generator=generator)

    def shard(self, n: int) -> slice:
        """This process's share of `n` validation rows."""
        return slice(0, n)

    def sum(self, values: list[float]) -> list[float]:
        return list(values)

    def any(self, flag: bool) -> bool:
        return bool(flag)

    def average_gradients(self, params: Iterable[nn.Parameter]) -> None:
        return None

    def broadcast(self, module: nn.Module) -> None:
        """Give every process rank 0's weights (`wrap` does it itself)."""
        return None

    def barrier(self) -> None:
        return None

    def close(self) -> None:
        return None


class DataParallel(Local):
    """One of `world_size` processes in an initialised default process group."""

    def __init__(self, rank: int, world_size: int, local_rank: int, device: torch.device):
        super().__init__(device)
        self.rank, self.world_size, self.local_rank = rank, world_size, local_rank
        # gloo reduces CPU tensors, nccl CUDA tensors.
        self._comm = device if device.type == "cuda" else torch.device("cpu")

    def wrap(self, model: nn.Module) -> nn.Module:
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        # A 1-channel first convolution gets its gradient in an equivalent but differently
        # strided layout; DDP copies it into its bucket and warns once per process. Harmless.
        warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
        return DistributedDataParallel(model, device_ids=ids)

    def local_count(self, n: int) -> int:
        return math.ceil(n / self.world_size)  # DistributedSampler pads to equal shares

    def epoch_order(self, n: int, epoch: int, generator: torch.Generator) -> torch.Tensor:
        from torch.utils.data import DistributedSampler

        # Every process shuffles alike (same seed and epoch) and takes every world_size-th row.
        rows: Any = range(n)  # a sized sequence is all DistributedSampler reads
        sampler: DistributedSampler[int] = DistributedSampler(rows, num_replicas=self.world_size, rank=self.rank,
                                     shuffle=True, seed=int(generator.initial_seed()),
                                     drop_last=False)
        sampler.set_epoch(epoch)
        return torch.tensor(list(iter(sampler)), dtype=torch.long)

    def shard(self, n: int) -> slice:
        return slice(self.rank, n, self.world_size)

    def sum(self, values: list[float]) -> list[float]:
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=self._comm)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def any(self, flag: bool) -> bool:
        import torch.distributed as dist

        t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=self._comm)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def average_gradients(self, params: Iterable[nn.Parameter]) -> None:
        import torch.distributed as dist

        for p in params:
            if p.grad is not None:
                dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
                p.grad.div_(self.world_size)

    def broadcast(self, module: nn.Module) -> None:
        import torch.distributed as dist

        with torch.no_grad():
            for t in module.state_dict().values():
                dist.broadcast(t, src=0)

    def barrier(self) -> None:
        import torch.distributed as dist

        if self._comm.type == "cuda":
            dist.barrier(device_ids=[self._comm.index])
        else:
            dist.barrier()

    def close(self) -> None:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def launched_by_torchrun() -> bool:
    return all(v in os.environ for v in ENV_VARS)


def from_env(device: torch.device, timeout_s: float = 1800.0) -> Local:
    """The group this process belongs to: `Local` unless torchrun started more than one
    process, else a `DataParallel` member with the default process group initialised
    (gloo for CPU training, nccl for CUDA; CUDA processes each take GPU LOCAL_RANK)."""
    if not launched_by_torchrun():
        return Local(device)
    try:
        rank, world, local = (int(os.environ[v]) for v in ENV_VARS)
    except ValueError:
        raise ValueError("RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers "
                         "(set by torchrun)") from None
    if world <= 1:
        return Local(device)
    if not 0 <= rank < world or local < 0:
        raise ValueError(f"RANK {rank} does not fit WORLD_SIZE {world}")
    import torch.distributed as dist

    if not dist.is_available():
        raise ValueError("this torch build has no torch.distributed; train in one process")
    if device.type == "cuda":
        if local >= torch.cuda.device_count():
            raise ValueError(f"process {local} on this machine has no GPU "
                             f"({torch.cuda.device_count()} found); start fewer processes")
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
        backend = "nccl"
    elif device.type == "cpu":
        backend = "gloo"
    else:
        raise ValueError(f"training in several processes needs --device cpu or cuda, not {device.type}")
    dist.init_process_group(backend, rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=timeout_s),
                            device_id=device if device.type == "cuda" else None)
    return DataParallel(rank, world, local, device)
