"""Convert our Seq2SeqTransformer into a CTranslate2 model directory (benchmark reference engine).

Our layout maps one to one onto `ctranslate2.specs.TransformerSpec`: pre-LN layers with final norms,
sinusoidal positions (given explicitly: ours interleave sin/cos), scaled embeddings, fused QKV for
self-attention and fused KV for cross-attention (CTranslate2's `linear[0]` / `linear[1]`), GELU (erf), and the
tied output projection. CTranslate2 works on token strings, so ids become the strings of `ctranslate2_tokens`.
"""

from __future__ import annotations

from pathlib import Path

from inference.model import Seq2SeqTransformer


def ctranslate2_vocabulary(vocab_size: int) -> list[str]:
    # Positions 0-3 are pad, unk, bos, eos as in our tokenizer; CTranslate2 knows the last three by name.
    return ["<blank>", "<unk>", "<s>", "</s>"] + [f"t{index}" for index in range(4, vocab_size)]


def ctranslate2_tokens(ids: list[int]) -> list[str]:
    vocabulary_head = ["<blank>", "<unk>", "<s>", "</s>"]
    return [vocabulary_head[index] if index < 4 else f"t{index}" for index in ids]


def export_to_ctranslate2(model: Seq2SeqTransformer, output_dir: Path) -> Path:
    """Write a float32 CTranslate2 model of `model` to `output_dir` (quantize when loading it)."""
    import ctranslate2

    config = model.config
    if (config.pad_id, config.bos_id, config.eos_id) != (0, 2, 3):
        raise ValueError("the export assumes pad=0, bos=2, eos=3")

    class _Converter(ctranslate2.converters.Converter):
        def _load(self):
            return _model_spec(model)

    _Converter().convert(str(output_dir), force=True)
    return output_dir


def _model_spec(model: Seq2SeqTransformer):
    from ctranslate2.specs import common_spec, transformer_spec

    config = model.config
    weights = {name: tensor.detach().float().cpu().numpy() for name, tensor in model.state_dict().items()}
    spec = transformer_spec.TransformerSpec.from_config(
        (config.n_encoder_layers, config.n_decoder_layers),
        config.n_heads,
        pre_norm=True,
        activation=common_spec.Activation.GELU,
    )
    spec.config.layer_norm_epsilon = model.decoder_norm.eps
    spec.config.decoder_start_token = "<s>"
    positions = model.positional_encoding.table.numpy()
    embedding = weights["token_embedding.weight"]

    spec.encoder.embeddings[0].weight = embedding
    spec.encoder.position_encodings.encodings = positions
    _layer_norm(spec.encoder.layer_norm, weights, "encoder_norm")
    for index, layer in enumerate(spec.encoder.layer):
        prefix = f"encoder_layers.{index}"
        _layer_norm(layer.self_attention.layer_norm, weights, f"{prefix}.attention_norm")
        _linear(layer.self_attention.linear[0], weights, f"{prefix}.attention.qkv")
        _linear(layer.self_attention.linear[1], weights, f"{prefix}.attention.proj")
        _feed_forward(layer.ffn, weights, prefix)

    spec.decoder.embeddings.weight = embedding
    spec.decoder.position_encodings.encodings = positions
    _layer_norm(spec.decoder.layer_norm, weights, "decoder_norm")
    spec.decoder.projection.weight = embedding  # tied
    for index, layer in enumerate(spec.decoder.layer):
        prefix = f"decoder_layers.{index}"
        _layer_norm(layer.self_attention.layer_norm, weights, f"{prefix}.self_attention_norm")
        _linear(layer.self_attention.linear[0], weights, f"{prefix}.self_attention.qkv")
        _linear(layer.self_attention.linear[1], weights, f"{prefix}.self_attention.proj")
        _layer_norm(layer.attention.layer_norm, weights, f"{prefix}.cross_attention_norm")
        _linear(layer.attention.linear[0], weights, f"{prefix}.cross_attention.query")
        _linear(layer.attention.linear[1], weights, f"{prefix}.cross_attention.key_value")
        _linear(layer.attention.linear[2], weights, f"{prefix}.cross_attention.proj")
        _feed_forward(layer.ffn, weights, prefix)

    vocabulary = ctranslate2_vocabulary(config.vocab_size)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    return spec


def _linear(spec, weights, name: str) -> None:
    spec.weight = weights[f"{name}.weight"]
    spec.bias = weights[f"{name}.bias"]


def _layer_norm(spec, weights, name: str) -> None:
    spec.gamma = weights[f"{name}.weight"]
    spec.beta = weights[f"{name}.bias"]


def _feed_forward(spec, weights, prefix: str) -> None:
    _layer_norm(spec.layer_norm, weights, f"{prefix}.feed_forward_norm")
    _linear(spec.linear_0, weights, f"{prefix}.feed_forward.up")
    _linear(spec.linear_1, weights, f"{prefix}.feed_forward.down")
