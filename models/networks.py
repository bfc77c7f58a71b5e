"""The shared backbone of every autoencoder and the AE / VAE heads on top of it.

An AE and a VAE built from the same config have identical encoder trunks and decoders;
the VAE only adds a log-variance head. That is what makes a side-by-side comparison fair.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import ModelConfig
from .contract import ConfigContract

# The labels of a conditional model: one per row, one for all, or None (its default label).
Labels = torch.Tensor | int | None


def _conv_sizes(size: int, blocks: int) -> list[int]:
    """Spatial size after each stride-2 block (kernel 3, padding 1): ceil(s / 2)."""
    sizes = [size]
    for _ in range(blocks):
        sizes.append(math.ceil(sizes[-1] / 2))
    return sizes


# Max-pooling switches of one encoded batch: per pooling block (encoder order), the flat
# index (within its channel's plane) of the maximum of every 2x2 window.
Switches = list[torch.Tensor]


class ConvEncoder(nn.Module):
    """Conv blocks that halve the size: a stride-2 convolution (`downsample="stride"`), or a
    stride-1 convolution then 2x2 max or average pooling (ceil mode, so the sizes match the
    strided blocks). The pools hold no weights, so every downsample has the same keys."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c, h, w = cfg.input_shape
        stride = 2 if cfg.downsample == "stride" else 1
        layers: list[nn.Module] = []
        pools: list[nn.Module] = []
        prev = c
        for ch in cfg.hidden:
            layers += [nn.Conv2d(prev, ch, 3, stride=stride, padding=1), nn.LeakyReLU(0.2)]
            if cfg.downsample == "max":
                pools.append(nn.MaxPool2d(2, ceil_mode=True, return_indices=True))
            elif cfg.downsample == "avg":
                pools.append(nn.AvgPool2d(2, ceil_mode=True))
            prev = ch
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.pools = nn.ModuleList(pools)
        self.hs = _conv_sizes(h, len(cfg.hidden))
        self.ws = _conv_sizes(w, len(cfg.hidden))
        self.out_features = prev * self.hs[-1] * self.ws[-1]

    def forward_with_switches(self, x: torch.Tensor) -> tuple[torch.Tensor, Switches]:
        """Features and the max-pooling switches (empty unless `downsample="max"`)."""
        if not len(self.pools):
            return self.net(x), []
        switches: Switches = []
        blocks = list(self.net)
        for i, pool in enumerate(self.pools):
            x = blocks[2 * i + 1](blocks[2 * i](x))
            out = pool(x)
            if isinstance(out, tuple):
                x, idx = out
                switches.append(idx)
            else:
                x = out
        return blocks[-1](x), switches

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_switches(x)[0]


class BedOfNails(nn.Module):
    """Zero insertion: each value goes to the top-left of its 2x2 block of the `size` output,
    zeros everywhere else (the convolution after it fills them in)."""

    def __init__(self, size: tuple[int, int]):
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x.new_zeros(*x.shape[:2], *self.size)
        out[:, :, ::2, ::2] = x
        return out


_NO_SWITCHES = ("a max-unpooling decoder needs the encoder's max-pooling switches of an "
                "encoded image; it cannot decode a code alone")


class _UpBlock(nn.Module):
    """Doubles (or nearly doubles) the spatial size to exactly `size`."""

    def __init__(self, cin: int, cout: int, size_in: tuple[int, int], size: tuple[int, int], mode: str):
        super().__init__()
        self.up: nn.Module
        self.conv: nn.Module
        self.size = size
        if mode == "transpose":
            pad = (size[0] - (2 * size_in[0] - 1), size[1] - (2 * size_in[1] - 1))
            self.up = nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=pad)
            self.conv = nn.Identity()
        else:
            if mode == "bed-of-nails":
                self.up = BedOfNails(size)
            elif mode == "max-unpool":
                self.up = nn.MaxUnpool2d(2)
            else:
                align = False if mode == "bilinear" else None
                self.up = nn.Upsample(size=size, mode=mode, align_corners=align)
            self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x: torch.Tensor, switch: torch.Tensor | None = None) -> torch.Tensor:
        if isinstance(self.up, nn.MaxUnpool2d):
            if switch is None:
                raise ValueError(_NO_SWITCHES)
            return self.conv(self.up(x, switch, output_size=self.size))
        return self.conv(self.up(x))


class ConvDecoder(nn.Module):
    def __init__(self, cfg: ModelConfig, in_features: int):
        super().__init__()
        c, h, w = cfg.input_shape
        chans = list(reversed(cfg.hidden))
        hs = list(reversed(_conv_sizes(h, len(cfg.hidden))))
        ws = list(reversed(_conv_sizes(w, len(cfg.hidden))))
        self.start = (chans[0], hs[0], ws[0])
        self.fc = nn.Sequential(nn.Linear(in_features, chans[0] * hs[0] * ws[0]), nn.LeakyReLU(0.2))
        blocks: list[nn.Module] = []
        outs = chans[1:] + [chans[-1]]
        for i, (cin, cout) in enumerate(zip(chans, outs, strict=True)):
            blocks += [_UpBlock(cin, cout, (hs[i], ws[i]), (hs[i + 1], ws[i + 1]), cfg.upsample),
                       nn.LeakyReLU(0.2)]
        blocks.append(nn.Conv2d(outs[-1], c, 3, padding=1))
        self.net = nn.Sequential(*blocks)
        self.needs_switches = cfg.needs_switches
        self.n_blocks = len(chans)

    def forward(self, z: torch.Tensor, switches: Switches | None = None) -> torch.Tensor:
        """`switches` (the encoder's, in encoder order) are used by max-unpooling only."""
        x = self.fc(z).view(-1, *self.start)
        if not self.needs_switches:
            return self.net(x)
        if switches is None or len(switches) != self.n_blocks:
            raise ValueError(_NO_SWITCHES)
        # The first up-block undoes the last pooling block.
        mirrored = switches[::-1]
        for i, layer in enumerate(self.net):
            x = layer(x, mirrored[i // 2]) if isinstance(layer, _UpBlock) else layer(x)
        return x


class MLPEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        prev = math.prod(cfg.input_shape)
        layers: list[nn.Module] = [nn.Flatten()]
        for width in cfg.hidden:
            layers += [nn.Linear(prev, width), nn.LeakyReLU(0.2)]
            prev = width
        self.net = nn.Sequential(*layers)
        self.out_features = prev

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MLPDecoder(nn.Module):
    def __init__(self, cfg: ModelConfig, in_features: int):
        super().__init__()
        self.shape = cfg.input_shape
        layers: list[nn.Module] = []
        prev = in_features
        for width in reversed(cfg.hidden):
            layers += [nn.Linear(prev, width), nn.LeakyReLU(0.2)]
            prev = width
        layers.append(nn.Linear(prev, math.prod(cfg.input_shape)))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.shape)


class LatentDiscriminator(nn.Module):
    """Tells codes drawn from the prior N(0, I) from encoded codes (adversarial AE)."""

    def __init__(self, latent_dim: int, width: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, width), nn.LeakyReLU(0.2),
                                 nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(-1)


class Autoencoder(ConfigContract, nn.Module):
    """Every member of the family on the shared backbone.

    `encode(x) -> (mu, logvar | None)`; `decode_logits(z)` gives pre-sigmoid images and
    `decode(z)` images in [0, 1]. The rest of the model contract (image and code shapes,
    capabilities) comes from its config (`ConfigContract`). `forward` returns a dict used by `latent_atlas.models.losses`.
    A conditional VAE also takes labels `y` (a one-hot vector joins the encoder features
    and the code, as in Sohn et al. 2015); without `y` it uses `default_label`. A
    conditional adversarial AE (Zhang et al. 2017) gives the label to the decoder only:
    its encoder ignores `y`, so a code carries no condition of its own.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.config = cfg
        self.default_label = 0
        dec_in = cfg.latent_dim + self.n_cond
        self.encoder: ConvEncoder | MLPEncoder
        self.decoder: ConvDecoder | MLPDecoder
        if cfg.arch == "conv":
            self.encoder = ConvEncoder(cfg)
            self.decoder = ConvDecoder(cfg, dec_in)
        else:
            self.encoder = MLPEncoder(cfg)
            self.decoder = MLPDecoder(cfg, dec_in)
        self.label_in_encoder = cfg.label_in_encoder
        feats = self.encoder.out_features + (self.n_cond if self.label_in_encoder else 0)
        self.mu_head = nn.Linear(feats, cfg.latent_dim)
        self.logvar_head = nn.Linear(feats, cfg.latent_dim) if cfg.is_variational else None
        self.discriminator = LatentDiscriminator(cfg.latent_dim) if cfg.is_adversarial else None

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def _onehot(self, y: Labels, n: int, device: torch.device) -> torch.Tensor:
        t = torch.as_tensor(self.default_label if y is None else y, device=device,
                            dtype=torch.long)
        if t.ndim == 0:
            t = t.expand(n)
        if int(t.min()) < 0 or int(t.max()) >= self.n_cond:
            raise ValueError(f"labels must be in 0..{self.n_cond - 1} for this conditional model")
        return torch.nn.functional.one_hot(t, self.n_cond).float()

    @property
    def needs_switches(self) -> bool:
        """The decoder max-unpools: it needs `switches` from `encode_with_switches`."""
        return self.config.needs_switches

    def encode_with_switches(self, x: torch.Tensor, y: Labels = None
                             ) -> tuple[torch.Tensor, torch.Tensor | None, Switches]:
        """(mu, logvar | None, the encoder's max-pooling switches; empty without max pooling)."""
        if isinstance(self.encoder, ConvEncoder):
            h, switches = self.encoder.forward_with_switches(x)
        else:
            h, switches = self.encoder(x), []
        if self.label_in_encoder:
            h = torch.cat([h, self._onehot(y, len(x), x.device)], dim=1)
        mu = self.mu_head(h)
        logvar = self.logvar_head(h) if self.logvar_head is not None else None
        return mu, logvar, switches

    def encode(self, x: torch.Tensor, y: Labels = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        mu, logvar, _ = self.encode_with_switches(x, y)
        return mu, logvar

    def decode_logits(self, z: torch.Tensor, y: Labels = None,
                      switches: Switches | None = None) -> torch.Tensor:
        """Pre-sigmoid images; `switches` (one row per code) only for a max-unpool decoder."""
        if self.n_cond:
            z = torch.cat([z, self._onehot(y, len(z), z.device)], dim=1)
        if isinstance(self.decoder, ConvDecoder):
            return self.decoder(z, switches)
        return self.decoder(z)

    def decode(self, z: torch.Tensor, y: Labels = None,
               switches: Switches | None = None) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z, y, switches))

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor | None) -> torch.Tensor:
        if logvar is None or not self.training:
            return mu
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def forward(self, x: torch.Tensor, y: Labels = None) -> dict[str, torch.Tensor | None]:
        mu, logvar, switches = self.encode_with_switches(x, y)
        z = self.reparameterize(mu, logvar)
        return {"mu": mu, "logvar": logvar, "z": z,
                "logits": self.decode_logits(z, y, switches or None)}

    def autoencoder_parameters(self) -> list[nn.Parameter]:
        """Encoder, heads and decoder: everything but an adversarial discriminator."""
        skip = set(map(id, self.discriminator.parameters())) if self.discriminator else set()
        return [p for p in self.parameters() if id(p) not in skip]


def build_model(cfg: ModelConfig) -> Autoencoder:
    """Build a freshly initialised model; `cfg.seed` fixes the initial weights."""
    torch.manual_seed(cfg.seed)
    return Autoencoder(cfg)
