"""A Ray Serve application serving one MLX model with OpenAI's chat API (a BROKE `rayserve` node).

Routes (OpenAI's shapes): POST /v1/chat/completions (streaming and not), GET /v1/models, GET /health.
Run it with Serve's CLI or its REST API; the model path comes in as an application argument:

    serve run app:build model=/path/to/model            # from this folder
    serve deploy serve-config.yaml                       # or a config naming import_path app:build

Each replica loads the model once and generates on one thread of its own (MLX keeps its streams per
thread), one request at a time; up to `max_ongoing_requests` requests are admitted per replica and
wait here for that thread, which is what BROKE counts as the replica's concurrency.
"""

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from ray import serve

api = FastAPI()


def _text(content: Any) -> str:
    """OpenAI content is a string or a list of parts; only text parts are used here."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


@serve.deployment(max_ongoing_requests=2, ray_actor_options={"num_cpus": 0.5})
@serve.ingress(api)
class MlxChat:
    def __init__(self, model: str, served_name: str | None = None) -> None:
        # One thread owns the model: MLX's generation stream is per thread.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlx")
        self._model_path = model
        self._name = served_name or model
        self._model, self._tokenizer = self._thread.submit(self._load, model).result()

    @staticmethod
    def _load(path: str) -> tuple[Any, Any]:
        from mlx_lm import load

        return load(path)

    def _prompt(self, messages: list[dict[str, Any]]) -> list[int]:
        msgs = [{"role": m.get("role", "user"), "content": _text(m.get("content"))} for m in messages]
        tok = self._tokenizer
        if getattr(tok, "chat_template", None):
            return tok.apply_chat_template(msgs, add_generation_prompt=True)
        return tok.encode("\n".join(m["content"] for m in msgs))

    def _generate(self, body: dict[str, Any]):
        """Generator of mlx_lm GenerationResponse objects; call it on the model's thread only."""
        from mlx_lm import stream_generate
        from mlx_lm.sample_utils import make_sampler

        max_tokens = int(body.get("max_completion_tokens") or body.get("max_tokens") or 256)
        sampler = make_sampler(temp=float(body.get("temperature") or 0.0), top_p=float(body.get("top_p") or 1.0))
        return stream_generate(
            self._model, self._tokenizer, self._prompt(body["messages"]), max_tokens=max_tokens, sampler=sampler
        )

    async def _run(self, body: dict[str, Any]) -> AsyncIterator[Any]:
        """Steps the generator on the model's thread, yielding each response as it comes."""
        loop = asyncio.get_running_loop()
        gen = await loop.run_in_executor(self._thread, self._generate, body)
        done = object()
        try:
            while True:
                item = await loop.run_in_executor(self._thread, next, gen, done)
                if item is done:
                    return
                yield item
        finally:
            # A client that went away stops generation at the next step.
            await loop.run_in_executor(self._thread, gen.close)

    @api.get("/health")
    def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/v1/models")
    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": self._name, "object": "model", "created": 0, "owned_by": "broke"}]}

    @api.post("/v1/chat/completions")
    async def chat(self, request: Request):
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(status_code=400, detail="the body must be JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            raise HTTPException(status_code=400, detail="messages must be a non-empty list")
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(self._sse(body, cid, created, usage), media_type="text/event-stream")
        text, last = "", None
        async for r in self._run(body):
            text += r.text
            last = r
        prompt_tokens = last.prompt_tokens if last else 0
        completion_tokens = last.generation_tokens if last else 0
        return JSONResponse(
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": self._name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": (last.finish_reason if last else None) or "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    async def _sse(self, body: dict[str, Any], cid: str, created: int, usage: bool) -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None, extra: dict[str, Any] | None = None) -> str:
            c = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self._name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **(extra or {}),
            }
            return f"data: {json.dumps(c)}\n\n"

        yield chunk({"role": "assistant", "content": ""}, None)
        last = None
        async for r in self._run(body):
            last = r
            if r.text:
                yield chunk({"content": r.text}, None)
        yield chunk({}, (last.finish_reason if last else None) or "stop")
        if usage and last:
            u = {
                "prompt_tokens": last.prompt_tokens,
                "completion_tokens": last.generation_tokens,
                "total_tokens": last.prompt_tokens + last.generation_tokens,
            }
            yield f"data: {json.dumps({'id': cid, 'object': 'chat.completion.chunk', 'created': created, 'model': self._name, 'choices': [], 'usage': u})}\n\n"
        yield "data: [DONE]\n\n"


def build(args: dict[str, str]):
    """Application builder: `model` (a local MLX model folder) and optional `served_name`."""
    if not args.get("model"):
        raise ValueError("pass model=/path/to/mlx/model (a local folder; nothing is downloaded)")
    return MlxChat.bind(args["model"], args.get("served_name"))
