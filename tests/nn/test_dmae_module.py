import torch

from skmts.nn._dmae import DMAEModule, dmae_losses
from skmts.nn._encoder import SeriesEncoder, sinusoidal_positions
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


def _padded(x, observed, pad):
    """The batch with ``pad`` garbage steps appended as padding."""
    b, _, c = x.shape
    xp = torch.cat([x, torch.randn(b, pad, c)], 1)
    op = torch.cat([observed, torch.ones(b, pad, c, dtype=torch.bool)], 1)
    vp = torch.cat([torch.ones(b, x.shape[1], dtype=torch.bool),
                    torch.zeros(b, pad, dtype=torch.bool)], 1)
    return xp, op, vp


def test_patches_and_conv_stem_ignore_padding():
    # a partial last patch, a stem whose convolutions reach into the padding, and every
    # pooling: the features of a series do not depend on what it is padded with
    torch.manual_seed(0)
    enc = SeriesEncoder(3, d_model=8, n_heads=2, n_layers=2, d_ff=16, patch_len=4,
                        n_conv_blocks=2).eval()
    x, observed, valid = _batch(b=4, t=14)
    for pooling in ("meanmax", "segments", "segmentsmax", "meanmaxppv", "multiscale", "last"):
        ref = enc.features(x, observed, valid, pooling)
        xp, op, vp = _padded(x, observed, 9)
        out = enc.features(xp, op, vp, pooling)
        assert ref.shape == (4, enc.n_features(pooling))
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_token_count_and_reconstruction_shape():
    module = DMAEModule(2, d_model=8, n_heads=2, n_layers=1, d_ff=16, patch_len=4)
    x, observed, valid = _batch(b=3, t=10, c=2)
    hidden = torch.zeros_like(observed)
    hidden[:, 4:8] = True
    out = module(x, observed, valid, hidden)
    assert out["reconstruction"].shape == (3, 10, 2)
    assert out["latent_pred"].shape == (3, 3, 8)  # ceil(10 / 4) tokens
    # only the second patch (steps 4-7) holds hidden values
    assert out["target_tokens"].tolist() == [[False, True, False]] * 3


def test_full_teacher_view_sees_every_observed_value(monkeypatch):
    module = _module(teacher_view="full")
    x, observed, valid = _batch()
    seen = {}
    original = module.teacher.forward

    def spy(x_in, obs_in, valid_in, **kw):
        seen["teacher"] = obs_in.clone()
        return original(x_in, obs_in, valid_in, **kw)

    monkeypatch.setattr(module.teacher, "forward", spy)
    hidden = geometric_span_mask(x.shape, 0.3, 3.0, generator=torch.Generator().manual_seed(0))
    module(x, observed, valid, hidden)
    assert torch.equal(seen["teacher"], observed)


def test_patch_mask_hides_whole_patches_across_channels():
    from skmts.nn._masking import patch_span_mask

    g = torch.Generator().manual_seed(0)
    m = patch_span_mask((50, 41, 3), patch_len=4, ratio=0.5, mean_span=2,
                        per_channel=False, generator=g)
    assert m.shape == (50, 41, 3)
    assert torch.equal(m, m[..., :1].expand_as(m))  # all channels at once
    patches = m[:, :40, 0].reshape(50, 10, 4)
    assert torch.equal(patches.all(-1), patches.any(-1))  # a patch is hidden whole
    assert abs(m.float().mean().item() - 0.5) < 0.05


def test_recalibrated_batchnorm_matches_full_data_statistics():
    from skmts.nn._encoder import recalibrate_batchnorm

    torch.manual_seed(0)
    enc = SeriesEncoder(2, d_model=8, n_heads=2, n_layers=1, d_ff=16).eval()
    x, observed, valid = _batch(b=8, t=6, c=2)
    recalibrate_batchnorm(enc, [(x[:4], observed[:4], valid[:4]), (x[4:], observed[4:], valid[4:])])
    assert not enc.training
    bn = enc.layers[0].norm1.norm
    # the input of the first norm, computed by hand on the whole batch
    h = enc.project(torch.cat([x * observed, observed.float()], -1)) * 8 ** 0.5
    h = h + sinusoidal_positions(6, 8)
    layer = enc.layers[0]
    q, k, v = layer.qkv(h).view(8, 6, 3, 2, 4).permute(2, 0, 3, 1, 4)
    a = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    pre = (h + layer.out(a.transpose(1, 2).reshape(8, 6, 8))).reshape(-1, 8)
    # two equal batches: the cumulative average of their means is the overall mean
    torch.testing.assert_close(bn.running_mean, pre.detach().mean(0), rtol=1e-4, atol=1e-5)


def test_ema_schedule_rises_to_one():
    from skmts.training._net import EMATeacher

    module = _module("ema", ema_momentum=0.9)
    cb = EMATeacher(total_steps=10)

    class _Net:
        module_ = module

    cb.on_train_begin(_Net())
    seen = []
    original = module.update_teacher
    module.update_teacher = lambda m=None: (seen.append(m), original(m))
    for _ in range(11):
        cb.on_batch_end(_Net(), training=True)
    assert abs(seen[0] - 0.9) < 1e-9 and abs(seen[-1] - 1.0) < 1e-9
    assert all(a <= b for a, b in zip(seen, seen[1:]))


def test_warmup_cosine_schedule():
    from skmts.training._net import WarmupCosine

    f = WarmupCosine(100, warmup=0.1)
    assert f(0) == 0.1 and f(9) == 1.0
    assert abs(f(55) - 0.5) < 0.02 and f(100) == 0.0


def test_ema_update_copies_batchnorm_buffers():
    module = _module("ema")
    module.encoder.layers[0].norm1.norm.running_mean.fill_(3.0)
    module.update_teacher()
    assert torch.equal(module.teacher.layers[0].norm1.norm.running_mean,
                       module.encoder.layers[0].norm1.norm.running_mean)


def test_multiscale_pooling_is_max_over_halves_and_quarters_of_the_valid_steps():
    from skmts.nn._pooling import masked_pool

    h = torch.arange(10, dtype=torch.float32).reshape(1, 10, 1)
    h = torch.cat([h, -h], dim=-1)  # (1, 10, 2)
    valid = torch.tensor([[True] * 8 + [False] * 2])  # 8 real steps, then padding
    out = masked_pool(h, valid, "multiscale")
    assert out.shape == (1, 16)
    mean, mx, halves, quarters = out[0, :2], out[0, 2:4], out[0, 4:8], out[0, 8:]
    torch.testing.assert_close(mean, torch.tensor([3.5, -3.5]))
    torch.testing.assert_close(mx, torch.tensor([7.0, 0.0]))
    torch.testing.assert_close(halves, torch.tensor([3.0, 0.0, 7.0, -4.0]))
    torch.testing.assert_close(quarters, torch.tensor([1.0, 0.0, 3.0, -2.0, 5.0, -4.0,
                                                       7.0, -6.0]))
    # a series shorter than 4 steps: empty quarters give 0, never -inf
    short = masked_pool(h[:, :2], torch.tensor([[True, True]]), "multiscale")
    assert torch.isfinite(short).all()


def test_contrastive_loss_rewards_matching_views_and_ignores_padding():
    from skmts.nn._contrastive import hierarchical_contrastive

    g = torch.Generator().manual_seed(0)
    z = torch.randn(5, 9, 8, generator=g)
    valid = torch.ones(5, 9, dtype=torch.bool)
    valid[1, 6:] = False
    near = z + 0.05 * torch.randn(5, 9, 8, generator=g)
    far = torch.randn(5, 9, 8, generator=g)
    assert hierarchical_contrastive(z, near, valid) < hierarchical_contrastive(z, far, valid)
    # what sits at padded tokens changes nothing, and gets no gradient
    junk = z.clone()
    junk[1, 6:] = 1e3
    junk.requires_grad_(True)
    loss = hierarchical_contrastive(junk, near, valid)
    torch.testing.assert_close(loss, hierarchical_contrastive(z, near, valid))
    loss.backward()
    assert torch.isfinite(junk.grad).all() and junk.grad[1, 6:].abs().sum() == 0


def test_contrastive_views_are_the_complementary_student_passes(monkeypatch):
    module = _module()
    x, observed, valid = _batch()
    hidden = geometric_span_mask(x.shape, 0.3, 3.0, generator=torch.Generator().manual_seed(0))
    seen = []
    forward = module.encoder.forward

    def spy(x_in, obs_in, valid_in, **kw):
        seen.append((obs_in.clone(), kw.get("teacher", False)))
        return forward(x_in, obs_in, valid_in, **kw)

    monkeypatch.setattr(module.encoder, "forward", spy)
    out = module(x, observed, valid, hidden, with_teacher=False, with_views=True)
    assert [t for _, t in seen] == [False, False]  # both student passes, with gradient
    assert torch.equal(seen[0][0], observed & ~hidden)
    assert torch.equal(seen[1][0], observed & hidden)
    losses = dmae_losses(out, x, observed, valid, hidden)
    assert set(losses) == {"reconstruction", "contrastive"}
    losses["contrastive"].backward()
    assert module.encoder.project.weight.grad.abs().sum() > 0
