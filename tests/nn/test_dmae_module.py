import torch

from skmts.nn._dmae import DMAEModule, dmae_losses
from skmts.nn._encoder import SeriesEncoder
from skmts.nn._masking import geometric_span_mask
from skmts.nn._pooling import masked_pool


def _module(teacher="ema", **kw):
    torch.manual_seed(0)
    return DMAEModule(3, d_model=8, n_heads=2, n_layers=2, d_ff=16, dropout=0.0, teacher=teacher, **kw)


def _batch(b=6, t=20, c=3):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(b, t, c, generator=g)
    observed = torch.rand(b, t, c, generator=g) > 0.1
    return x * observed, observed, torch.ones(b, t, dtype=torch.bool)


def test_span_mask_ratio_and_spans():
    g = torch.Generator().manual_seed(0)
    m = geometric_span_mask((200, 300, 2), 0.15, 3.0, generator=g)
    assert abs(m.float().mean().item() - 0.15) < 0.01
    # mean hidden span length ~ 3: count runs of True along time
    starts = (m[:, 1:] & ~m[:, :-1]).sum() + m[:, 0].sum()
    assert 2.6 < m.sum().item() / starts.item() < 3.4
    g2 = torch.Generator().manual_seed(0)
    assert torch.equal(m, geometric_span_mask((200, 300, 2), 0.15, 3.0, generator=g2))


def test_student_and_teacher_views_are_complementary(monkeypatch):
    module = _module()
    x, observed, valid = _batch()
    hidden = geometric_span_mask(x.shape, 0.3, 3.0, generator=torch.Generator().manual_seed(0))
    seen = {}

    def spy(name, fn):
        def wrapped(x_in, obs_in, valid_in, **kw):
            seen[name] = obs_in.clone()
            return fn(x_in, obs_in, valid_in, **kw)
        return wrapped

    monkeypatch.setattr(module.encoder, "forward", spy("student", module.encoder.forward))
    monkeypatch.setattr(module.teacher, "forward", spy("teacher", module.teacher.forward))
    module(x, observed, valid, hidden)
    s, t = seen["student"], seen["teacher"]
    assert not (s & t).any()  # disjoint
    assert torch.equal(s | t, observed)  # together: every observed value, nothing missing
    assert torch.equal(t, observed & hidden)


def test_no_gradient_reaches_the_teacher():
    for kind in ("ema", "shared"):
        module = _module(kind)
        x, observed, valid = _batch()
        hidden = geometric_span_mask(x.shape, 0.3, 3.0, generator=torch.Generator().manual_seed(0))
        out = module(x, observed, valid, hidden)
        assert not out["latent_target"].requires_grad
        losses = dmae_losses(out, x, observed, valid, hidden)
        module.zero_grad()
        losses["alignment"].backward()
        # the alignment gradient flows into the student and feature-query module only
        assert module.feature_query.q.weight.grad.abs().sum() > 0
        assert module.encoder.project.weight.grad.abs().sum() > 0
        if kind == "ema":
            assert all(p.grad is None for p in module.teacher.parameters())


def test_missing_values_never_enter_the_loss():
    module = _module()
    x, observed, valid = _batch()
    hidden = torch.ones_like(observed)
    out = module(x, observed, valid, hidden)
    poisoned = x.clone()
    poisoned[~observed] = 1e6  # values at missing positions must not matter
    a = dmae_losses(out, x, observed, valid, hidden)["reconstruction"]
    b = dmae_losses(out, poisoned, observed, valid, hidden)["reconstruction"]
    assert torch.equal(a, b)


def test_padding_does_not_change_features():
    torch.manual_seed(0)
    enc = SeriesEncoder(3, d_model=8, n_heads=2, n_layers=2, d_ff=16).eval()
    x, observed, _ = _batch(b=4, t=12)
    valid = torch.ones(4, 12, dtype=torch.bool)
    ref = masked_pool(enc(x, observed, valid), valid, "meanmax")
    pad = 7
    xp = torch.cat([x, torch.randn(4, pad, 3)], 1)  # garbage in the padding
    op = torch.cat([observed, torch.ones(4, pad, 3, dtype=torch.bool)], 1)
    vp = torch.cat([valid, torch.zeros(4, pad, dtype=torch.bool)], 1)
    out = masked_pool(enc(xp, op, vp), vp, "meanmax")
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_teacher_pass_leaves_batchnorm_statistics_alone():
    module = _module("shared").train()
    x, observed, valid = _batch()
    module.encode(x, observed, valid)  # warm the running stats once
    before = module.encoder.layers[0].norm1.norm.running_mean.clone()
    module.encoder(x, observed, valid, teacher=True)
    assert torch.equal(before, module.encoder.layers[0].norm1.norm.running_mean)


def test_ema_update_moves_teacher_towards_student():
    module = _module("ema", ema_momentum=0.5)
    with torch.no_grad():
        for p in module.encoder.parameters():
            p.add_(1.0)
    t0 = module.teacher.project.weight.clone()
    s = module.encoder.project.weight
    module.update_teacher()
    torch.testing.assert_close(module.teacher.project.weight, 0.5 * t0 + 0.5 * s)
