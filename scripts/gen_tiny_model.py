#!/usr/bin/env python3
"""Generate BROKE's tiny test models locally, with no network and no downloads.

Every model shares one real byte-level BPE tokenizer, trained here on testbed/corpus.txt with the
`tokenizers` package, and a ChatML chat template with tool calling (mlx_lm infers its `json_tools`
parser from it). Weights are llama-architecture safetensors that `mlx_lm.load` reads from a folder.

* Random models (`tiny`, `small`): seeded random weights; they differ in size, so nodes serving
  them differ in speed.
* Scripted models: attention and MLP outputs are zero, so the residual stream is just the current
  token's embedding and the next token depends only on the current one. The LM head maps the last
  prompt token to the first script segment, each segment to the next and the last to <|im_end|>,
  so greedy decoding (and any sane temperature: the margin is huge) emits exactly the script.
  Each segment is its own vocab entry (reachable by decoding, never by encoding), so one segment is
  one streamed chunk.

Same inputs, same bytes out: seeds are fixed, JSON is written with sorted keys, and tokenizer
training runs single-threaded.

Usage: gen_tiny_model.py --out DIR NAME [NAME ...]   (names from testbed/models.json, or `all`)
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # deterministic BPE training

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = Path(__file__).resolve().parent.parent
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"]
EOS = "<|im_end|>"
CONTEXT_LENGTH = 4096

CHAT_TEMPLATE = (
    "{%- if tools %}<|im_start|>system\n"
    "{% if messages[0].role == 'system' %}{{ messages[0].content }}\n\n{% endif %}"
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n<tools>\n"
    "{% for tool in tools %}{{ tool | tojson }}\n{% endfor %}</tools>\n\n"
    "For each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
    "{% elif messages[0].role == 'system' %}<|im_start|>system\n{{ messages[0].content }}<|im_end|>\n"
    "{% endif %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'system' and loop.first %}"
    "{%- elif message.role == 'assistant' %}<|im_start|>assistant\n"
    "{% if message.content %}{{ message.content }}{% endif %}"
    "{%- if message.tool_calls %}{% for tc in message.tool_calls %}"
    "{% set tool_call = tc.function if tc.function else tc %}\n<tool_call>\n"
    '{"name": "{{ tool_call.name }}", "arguments": '
    "{{ tool_call.arguments if tool_call.arguments is string else tool_call.arguments | tojson }}}"
    "\n</tool_call>{% endfor %}{% endif %}<|im_end|>\n"
    "{% elif message.role == 'tool' %}<|im_start|>user\n<tool_response>\n{{ message.content }}\n"
    "</tool_response><|im_end|>\n"
    "{% else %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n"
    "{% endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def bytes_to_unicode():
    """GPT-2's reversible byte → printable character map, as used by ByteLevel BPE."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def byte_level(text):
    table = bytes_to_unicode()
    return "".join(table[b] for b in text.encode("utf-8"))


def build_tokenizer(manifest):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=640,
        min_frequency=2,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = (ROOT / "testbed" / "corpus.txt").read_text(encoding="utf-8")
    tok.train_from_iterator(corpus.splitlines(keepends=True), trainer=trainer)
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    # Script segments become vocab entries of their own: decodable, never produced by encoding
    # (no merge leads to them), so they cannot change how prompts tokenize.
    for entry in sorted(manifest.values(), key=lambda e: json.dumps(e, sort_keys=True)):
        for segment in entry.get("script", []):
            if segment in SPECIAL:
                continue
            key = byte_level(segment)
            if key not in vocab:
                vocab[key] = max(max(vocab.values()), max(t["id"] for t in spec["added_tokens"])) + 1
    return spec


def token_id(spec, text):
    for t in spec["added_tokens"]:
        if t["content"] == text:
            return t["id"]
    return spec["model"]["vocab"][byte_level(text)]


def write_tokenizer(spec, out):
    (out / "tokenizer.json").write_text(json.dumps(spec, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": EOS,
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "model_max_length": CONTEXT_LENGTH,
        "clean_up_tokenization_spaces": False,
        "chat_template": CHAT_TEMPLATE,
        "additional_special_tokens": [t for t in SPECIAL if t not in (EOS, "<|endoftext|>")],
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, sort_keys=True, indent=1), encoding="utf-8")
    (out / "special_tokens_map.json").write_text(
        json.dumps({"eos_token": EOS, "pad_token": "<|endoftext|>"}, sort_keys=True, indent=1), encoding="utf-8"
    )


def model_config(vocab_size, hidden, layers, heads, kv_heads, intermediate, eos_id, tied):
    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "intermediate_size": intermediate,
        "vocab_size": vocab_size,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": CONTEXT_LENGTH,
        "tie_word_embeddings": tied,
        "eos_token_id": eos_id,
        "torch_dtype": "float32",
    }


def layer_weights(rng, i, hidden, heads, kv_heads, intermediate, scale, zero_outputs):
    head_dim = hidden // heads
    p = f"model.layers.{i}."
    f32 = np.float32
    w = {
        p + "input_layernorm.weight": np.ones(hidden, f32),
        p + "post_attention_layernorm.weight": np.ones(hidden, f32),
        p + "self_attn.q_proj.weight": (rng.standard_normal((heads * head_dim, hidden)) * scale).astype(f32),
        p + "self_attn.k_proj.weight": (rng.standard_normal((kv_heads * head_dim, hidden)) * scale).astype(f32),
        p + "self_attn.v_proj.weight": (rng.standard_normal((kv_heads * head_dim, hidden)) * scale).astype(f32),
        p + "self_attn.o_proj.weight": (rng.standard_normal((hidden, heads * head_dim)) * scale).astype(f32),
        p + "mlp.gate_proj.weight": (rng.standard_normal((intermediate, hidden)) * scale).astype(f32),
        p + "mlp.up_proj.weight": (rng.standard_normal((intermediate, hidden)) * scale).astype(f32),
        p + "mlp.down_proj.weight": (rng.standard_normal((hidden, intermediate)) * scale).astype(f32),
    }
    if zero_outputs:  # the residual stream then carries only the current token's embedding
        w[p + "self_attn.o_proj.weight"][:] = 0
        w[p + "mlp.down_proj.weight"][:] = 0
    return w


def reserved_ids(spec):
    ids = [t["id"] for t in spec["added_tokens"]]
    trained = len(spec["model"]["merges"]) + 256 + len(SPECIAL)
    ids += [i for i in spec["model"]["vocab"].values() if i >= trained]  # script segments come last
    return sorted(set(ids))


def random_model(spec, entry):
    vocab_size = max(max(spec["model"]["vocab"].values()), max(t["id"] for t in spec["added_tokens"])) + 1
    h, n = entry["hidden"], entry["layers"]
    rng = np.random.default_rng(entry["seed"])
    weights = {"model.embed_tokens.weight": (rng.standard_normal((vocab_size, h)) * 0.5).astype(np.float32)}
    for i in range(n):
        weights.update(layer_weights(rng, i, h, entry["heads"], entry["kvHeads"], entry["intermediate"], 0.5 / np.sqrt(h), False))
    weights["model.norm.weight"] = np.ones(h, np.float32)
    # An untied, fairly sharp random head: output varies token to token instead of echoing the input.
    # Special tokens and script segments get zero rows (logit 0, while the best random logit is ~+6),
    # so greedy decoding never emits them: replies run to max_tokens and never start a tool call.
    head = (rng.standard_normal((vocab_size, h)) * 2.0 / np.sqrt(h)).astype(np.float32)
    for reserved in reserved_ids(spec):
        head[reserved] = 0
    weights["lm_head.weight"] = head
    cfg = model_config(vocab_size, h, n, entry["heads"], entry["kvHeads"], entry["intermediate"], token_id(spec, EOS), False)
    return cfg, weights


def scripted_model(spec, entry, seed=7):
    vocab_size = max(max(spec["model"]["vocab"].values()), max(t["id"] for t in spec["added_tokens"])) + 1
    h, heads, inter = 256, 4, 64
    rng = np.random.default_rng(seed)
    emb = rng.standard_normal((vocab_size, h)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    emb *= np.sqrt(h)  # RMS 1, so the final RMSNorm leaves it unchanged
    # The prompt ends with the generation prompt "<|im_start|>assistant\n": its last token starts the script.
    start = Tokenizer.from_str(json.dumps(spec)).encode("<|im_start|>assistant\n").ids[-1]
    chain = [start] + [token_id(spec, s) for s in entry["script"]] + [token_id(spec, EOS)]
    if len(set(chain[:-1])) != len(chain) - 1:
        sys.exit(f"script tokens must be unique (next token depends only on the current one): {entry['script']}")
    head = np.zeros((vocab_size, h), np.float32)
    for cur, nxt in zip(chain, chain[1:]):
        head[nxt] += emb[cur] / np.sqrt(h) * 30.0  # logit margin ≈ 30·√h ≫ noise
    weights = {"model.embed_tokens.weight": emb, "lm_head.weight": head, "model.norm.weight": np.ones(h, np.float32)}
    weights.update(layer_weights(rng, 0, h, heads, heads, inter, 0.02, True))
    cfg = model_config(vocab_size, h, 1, heads, heads, inter, token_id(spec, EOS), False)
    return cfg, weights


def generate(name, entry, spec, out):
    out.mkdir(parents=True, exist_ok=True)
    cfg, weights = scripted_model(spec, entry) if "script" in entry else random_model(spec, entry)
    (out / "config.json").write_text(json.dumps(cfg, sort_keys=True, indent=1), encoding="utf-8")
    save_file(dict(sorted(weights.items())), str(out / "model.safetensors"), metadata={"format": "mlx"})  # one key: safetensors orders metadata by hash
    write_tokenizer(spec, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder that receives one sub-folder per model")
    parser.add_argument("names", nargs="+", help="model names from testbed/models.json, or 'all'")
    args = parser.parse_args()
    manifest = {k: v for k, v in json.loads((ROOT / "testbed" / "models.json").read_text()).items() if not k.startswith("_")}
    names = list(manifest) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in manifest]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; known: {sorted(manifest)}")
    spec = build_tokenizer(manifest)
    for name in names:
        target = Path(args.out) / name
        if target.exists():
            continue  # generated earlier; identical by construction
        tmp = Path(args.out) / f".{name}.tmp-{os.getpid()}"
        generate(name, manifest[name], spec, tmp)
        try:
            os.rename(tmp, target)  # atomic: readers never see a half-written model
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process won the race
        print(target)

if __name__ == "__main__":
    main()
