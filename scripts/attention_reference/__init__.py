"""The float64 NumPy reference of every attention mechanism the service computes, written
the obvious way from the papers and the service's conventions (DESIGN.md), never from the
engine's Swift code: the independent check that the golden fixtures, the end-to-end tests,
the load test's answers and the container probe all compare against.

Conventions: masks are booleans, True = "may attend"; a query row with no visible key gets
zero weights and a zero output; causal is top-left aligned unless `alignment="bottom_right"`;
windows (left, right) are inclusive; projections are y = x·W + b (rows of W are input
features). Needs NumPy only.

    from scripts.attention_reference import scaled_dot_product, Draw
"""
from scripts.attention_reference.checks import relative_error
from scripts.attention_reference.inputs import Draw
from scripts.attention_reference.layers import attention_block, decoder_layer, encoder_layer, feed_forward, layer_norm
from scripts.attention_reference.masking import masked_softmax, visibility
from scripts.attention_reference.mechanisms import additive, luong_local, multi_head, scaled_dot_product
from scripts.attention_reference.positions import alibi_slopes, rope, sinusoidal

__all__ = ["Draw", "additive", "alibi_slopes", "attention_block", "decoder_layer", "encoder_layer", "feed_forward",
           "layer_norm", "luong_local", "masked_softmax", "multi_head", "relative_error", "rope",
           "scaled_dot_product", "sinusoidal", "visibility"]
