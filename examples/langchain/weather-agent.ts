/**
 * Example: a tool-calling agent loop. The planning step (role `planner`, tools bound) decides which
 * tools to call; once their results are in, the answering step (role `writer`) writes the reply.
 * Each step is routed by its own role; conversation depth and session follow the messages.
 * The same model also plugs into `createAgent` from the `langchain` package.
 *
 *   BROKE_GATEWAY=http://127.0.0.1:8787 npx tsx examples/langchain/weather-agent.ts "Weather in Paris?"
 */
import type { BrokeChatModel, BrokeRouteMetadata } from '@broke/langchain';
import { type BaseMessage, HumanMessage, SystemMessage, type ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { z } from 'zod';

export const getWeather = tool(async ({ city }) => `Sunny and 21°C in ${city}.`, {
  name: 'get_weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string().describe('City name') }),
});

const tools = { get_weather: getWeather };

export interface AgentRun {
  answer: string;
  messages: BaseMessage[];
  /** role → route, one entry per model call, in order. */
  steps: Array<{ role: string; route: BrokeRouteMetadata }>;
}

export async function runWeatherAgent(
  model: BrokeChatModel,
  question: string,
  maxSteps = 4,
): Promise<AgentRun> {
  const planner = model.bindTools([getWeather]);
  const messages: BaseMessage[] = [
    new SystemMessage('You answer weather questions using tools.'),
    new HumanMessage(question),
  ];
  const steps: AgentRun['steps'] = [];
  let toolResultsIn = false;
  for (let step = 0; step < maxSteps; step++) {
    // Planning routes to a tools-capable model; answering (tool results in hand) to a writer.
    const role = toolResultsIn ? 'writer' : 'planner';
    const ai = toolResultsIn
      ? await model.invoke(messages, { role })
      : await planner.invoke(messages, { role });
    steps.push({ role, route: ai.response_metadata.broke as BrokeRouteMetadata });
    messages.push(ai);
    if (!ai.tool_calls?.length) return { answer: ai.text, messages, steps };
    for (const call of ai.tool_calls) {
      const impl = tools[call.name as keyof typeof tools];
      if (!impl) throw new Error(`model asked for unknown tool ${call.name}`);
      messages.push((await impl.invoke(call)) as ToolMessage);
    }
    toolResultsIn = true;
  }
  throw new Error(`no answer after ${maxSteps} steps`);
}

/**
 * The same model in LangChain's prebuilt agent (`createAgent` from `langchain`). The tool returns
 * directly, so the agent ends with the tool's result (the scripted test model would otherwise
 * call the tool forever).
 */
export function weatherCreateAgent(model: BrokeChatModel) {
  const direct = tool(async ({ city }) => `Sunny and 21°C in ${city}.`, {
    name: 'get_weather',
    description: 'Current weather for a city',
    schema: z.object({ city: z.string() }),
    returnDirect: true,
  });
  // No role here: callers pass it per run, e.g. `agent.invoke(input, { metadata: { role: 'planner' } })`.
  return createAgent({ model, tools: [direct] });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { BrokeChatModel } = await import('@broke/langchain');
  const model = new BrokeChatModel({
    gateway: { url: process.env.BROKE_GATEWAY ?? 'http://127.0.0.1:8787' },
  });
  const run = await runWeatherAgent(model, process.argv[2] ?? 'Weather in Paris?');
  console.log(run.answer);
  for (const s of run.steps) console.log(`${s.role} → ${s.route.nodeId}/${s.route.modelId}`);
}
