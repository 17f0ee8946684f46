"""The official openai Python client against the gateway: one plain call, one stream with usage."""

import json
import os

from openai import OpenAI

client = OpenAI(base_url=os.environ["BROKE_BASE_URL"], api_key="sk-dummy-offline", max_retries=0)
messages = [{"role": "user", "content": "Say hi."}]
headers = {"X-Broke-Role": "python-client"}

raw = client.chat.completions.with_raw_response.create(
    model="broke-auto", messages=messages, max_tokens=6, extra_headers=headers
)
plain = raw.parse()

chunks, usage, text, stream_ids = 0, None, "", set()
for chunk in client.chat.completions.create(
    model="broke-auto",
    messages=messages,
    max_tokens=6,
    stream=True,
    stream_options={"include_usage": True},
    extra_headers=headers,
):
    stream_ids.add(chunk.id)
    if chunk.choices:
        chunks += 1
        text += chunk.choices[0].delta.content or ""
    if chunk.usage:
        usage = chunk.usage.model_dump()

print(
    json.dumps(
        {
            "ok": True,
            "plain_model": plain.model,
            "plain_finish": plain.choices[0].finish_reason,
            "plain_usage": plain.usage.model_dump() if plain.usage else None,
            "route_id": raw.headers.get("x-broke-route-id"),
            # The completion's own id is the route id: no header access needed.
            "plain_id": plain.id,
            "stream_ids": sorted(stream_ids),
            "node": raw.headers.get("x-broke-node"),
            "chunks": chunks,
            "usage": usage,
        }
    )
)
