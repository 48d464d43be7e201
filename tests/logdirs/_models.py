"""Small torch models whose traced graphs the builders log (import torch lazily)."""

from __future__ import annotations

import functools
import warnings
from typing import Any


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def resnet(blocks_per_stage: int = 2) -> tuple[Any, Any]:
    """A CIFAR ResNet (He et al. 2016, option B shortcuts) and an example input.

    ``blocks_per_stage=2`` is ResNet-14: its torch trace has 228 nodes in
    TensorBoard's graph (``3`` is ResNet-20: 303 nodes). Weights seeded.
    """
    import torch
    from torch import nn
    from torch.nn import functional

    class BasicBlock(nn.Module):  # type: ignore[misc]
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x: Any) -> Any:
            out = functional.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return functional.relu(out + self.shortcut(x))

    class ResNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            cin = 16
            for i, cout in enumerate((16, 32, 64)):
                layer = []
                for j in range(blocks_per_stage):
                    layer.append(BasicBlock(cin, cout, 2 if (j == 0 and i > 0) else 1))
                    cin = cout
                setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
            self.fc = nn.Linear(64, 10)

        def forward(self, x: Any) -> Any:
            x = functional.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            x = functional.adaptive_avg_pool2d(x, 1).flatten(1)
            return self.fc(x)

    torch.manual_seed(0)
    model = ResNet().eval()
    return model, torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))


@functools.lru_cache(maxsize=4)
def traced_resnet(blocks_per_stage: int = 2) -> tuple[Any, Any]:
    """torch's own ``(GraphDef, RunMetadata)`` of :func:`resnet`, as ``add_graph`` logs it.

    Traced once per process: every run that logs this model writes the same bytes
    (``writer._get_file_writer().add_graph(traced)`` is what ``add_graph`` does).
    """
    from torch.utils.tensorboard._pytorch_graph import graph

    model, example = resnet(blocks_per_stage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return graph(model, (example,))  # type: ignore[no-any-return]
