"""Span masks on tensors."""

from __future__ import annotations

import torch

__all__ = ["geometric_span_mask", "patch_span_mask"]


def geometric_span_mask(
    shape: tuple[int, int, int],
    ratio: float = 0.15,
    mean_span: float = 3.0,
    *,
    generator: torch.Generator | None = None,
    device="cpu",
) -> torch.Tensor:
    """Boolean mask (B, T, C), True where a value is hidden, drawn as geometric spans.

    Each channel of each series is an independent two-state Markov chain (as in the TST
    reference design, Zerveas et al. 2021): hidden spans have geometric lengths with
    mean ``mean_span`` and visible spans with mean ``mean_span * (1 - ratio) / ratio``,
    so that on average a fraction ``ratio`` of the values is hidden. The first state is
    hidden with probability ``ratio`` (the chain's stationary distribution).

    Parameters
    ----------
    shape : tuple of int
        (batch, n_timesteps, n_channels).
    ratio : float, default=0.15
        Expected fraction of hidden values, in (0, 1).
    mean_span : float, default=3.0
        Mean length of a hidden span, >= 1.
    generator : torch.Generator, optional
        Source of randomness (on ``device``); the global generator when None.
    device : str or torch.device, default="cpu"
        Where the mask is created.

    Returns
    -------
    mask : BoolTensor of shape (B, T, C)

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> m = geometric_span_mask((64, 200, 3), 0.15, 3, generator=g)
    >>> round(m.float().mean().item(), 1)
    0.1
    """
    b, t, c = shape
    p_end_hidden = 1.0 / mean_span  # hidden -> visible
    p_end_visible = p_end_hidden * ratio / (1.0 - ratio)  # visible -> hidden
    u = torch.rand((t, b, c), generator=generator, device=device)
    out = torch.empty((t, b, c), dtype=torch.bool, device=device)
    state = u[0] < ratio
    out[0] = state
    for i in range(1, t):
        switch = torch.where(state, u[i] < p_end_hidden, u[i] < p_end_visible)
        state = state ^ switch
        out[i] = state
    return out.permute(1, 0, 2)


def patch_span_mask(
    shape: tuple[int, int, int],
    patch_len: int = 1,
    ratio: float = 0.15,
    mean_span: float = 3.0,
    *,
    per_channel: bool = True,
    generator: torch.Generator | None = None,
    device="cpu",
) -> torch.Tensor:
    """Span mask (B, T, C) drawn over patches of ``patch_len`` steps.

    Spans are drawn as in :func:`geometric_span_mask` over the ``ceil(T / patch_len)``
    patches (``mean_span`` counts patches), then every step of a hidden patch is
    hidden. With ``per_channel=False`` a hidden patch is hidden in every channel, so
    a value cannot be read off the other channels at the same step. ``patch_len=1``
    and ``per_channel=True`` is exactly :func:`geometric_span_mask`.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> m = patch_span_mask((2, 10, 3), patch_len=4, ratio=0.5, mean_span=1,
    ...                     per_channel=False, generator=g)
    >>> m.shape, bool((m == m[..., :1]).all())
    (torch.Size([2, 10, 3]), True)
    """
    b, t, c = shape
    n = -(-t // patch_len)
    m = geometric_span_mask((b, n, c if per_channel else 1), ratio, mean_span,
                            generator=generator, device=device)
    m = m.repeat_interleave(patch_len, dim=1)[:, :t]
    return m.expand(b, t, c) if not per_channel else m
