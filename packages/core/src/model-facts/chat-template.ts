/**
 * Whether a model's chat template renders tool definitions: it reads a `tools` variable inside a
 * Jinja tag (`{% if tools %}`, `{{ tools | tojson }}`, `{%- for tool in tools %}`). Servers that
 * apply the model's template (mlx_lm.server, llama.cpp --jinja, vLLM, Transformers) can then take
 * an OpenAI `tools` list; a template without it would drop the tools silently.
 * `template`: tokenizer_config.json's `chat_template` (a string, or a list of named templates) or
 * the text of a `chat_template.jinja` file.
 */
export function templateRendersTools(template: unknown): boolean {
  if (typeof template === 'string') return TOOLS_IN_TAG.test(template);
  if (Array.isArray(template))
    return template.some((t) => templateRendersTools((t as { template?: unknown } | null)?.template));
  return false;
}

/** `tools` as a name inside `{% … %}` or `{{ … }}` (not the word in the template's prose). */
const TOOLS_IN_TAG = /\{[%{][^%}]*?\btools\b[^%}]*?[%}]\}/;
