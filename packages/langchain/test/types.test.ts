import { type AgentContext, ValidationError } from '@broke/core';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type BrokeBackend,
  BrokeChatModel,
  type BrokeChatModelCallOptions,
  type BrokeChatModelFields,
  type BrokeResponseMetadata,
  type BrokeRouteMetadata,
  type BrokeRouteSummary,
  routeOf,
  type UnsupportedContentBlockError,
} from '../src/index.js';

// Type-level contract of the public API: checked by vitest's expectTypeOf and by tsc
// (tsconfig.tests.json); the runtime part only builds objects, it never calls a node.
const backend = {} as BrokeBackend;

describe('public types', () => {
  it('call options carry the agent context and LangChain options', () => {
    expectTypeOf<BrokeChatModelCallOptions>().toHaveProperty('role').toEqualTypeOf<string | undefined>();
    expectTypeOf<BrokeChatModelCallOptions>().toHaveProperty('team').toEqualTypeOf<string | undefined>();
    expectTypeOf<BrokeChatModelCallOptions>().toHaveProperty('sessionId').toEqualTypeOf<string | undefined>();
    expectTypeOf<BrokeChatModelCallOptions>()
      .toHaveProperty('taskType')
      .toEqualTypeOf<AgentContext['taskType'] | undefined>();
    expectTypeOf<BrokeChatModelCallOptions>().toHaveProperty('signal');
    expectTypeOf<BrokeChatModelCallOptions>().toHaveProperty('timeout');
    expectTypeOf<BrokeChatModelCallOptions>().toHaveProperty('tool_choice');
    // taskType is the core enum, not any string.
    expectTypeOf<'code'>().toExtend<NonNullable<BrokeChatModelCallOptions['taskType']>>();
    expectTypeOf<'poetry'>().not.toExtend<NonNullable<BrokeChatModelCallOptions['taskType']>>();
  });

  it('the model is a BaseChatModel whose invoke/stream yield AIMessageChunk and accept call options', () => {
    const model = new BrokeChatModel({ backend, role: 'drafter' });
    expectTypeOf(model).toExtend<BaseChatModel<BrokeChatModelCallOptions, AIMessageChunk>>();
    expectTypeOf(model.invoke).returns.resolves.toEqualTypeOf<AIMessageChunk>();
    expectTypeOf(model.invoke).parameter(1).toEqualTypeOf<Partial<BrokeChatModelCallOptions> | undefined>();
    expectTypeOf(model.feedback).parameter(1).toExtend<number | { score?: number }>();
    expectTypeOf<BrokeChatModelFields>().toHaveProperty('gateway');
    expectTypeOf<BrokeChatModelFields>().toHaveProperty('inProcess');
  });

  it('metadata: RunnableConfig.metadata is accepted next to the BROKE options', () => {
    const model = new BrokeChatModel({ backend });
    expectTypeOf(model.invoke).toBeCallableWith('hi', { metadata: { role: 'reviewer' }, team: 'writers' });
    expectTypeOf(model.withConfig).toBeCallableWith({ role: 'reviewer', metadata: { broke_team: 'x' } });
    expectTypeOf(routeOf).returns.toEqualTypeOf<BrokeRouteMetadata | undefined>();
    expectTypeOf<BrokeRouteMetadata['reasons']>().toEqualTypeOf<string[]>();
  });

  it("route metadata: the listing's snake_case fields next to the camelCase ones", () => {
    expectTypeOf<BrokeRouteMetadata>().toExtend<BrokeRouteSummary>();
    expectTypeOf<BrokeRouteSummary['route_id']>().toEqualTypeOf<string>();
    expectTypeOf<BrokeRouteSummary['node']>().toEqualTypeOf<string | null>();
    expectTypeOf<BrokeRouteSummary['predicted_quality']>().toEqualTypeOf<number | null>();
    expectTypeOf<BrokeRouteSummary['explored']>().toEqualTypeOf<boolean | null>();
    expectTypeOf<BrokeRouteMetadata['routeId']>().toEqualTypeOf<string>();
    expectTypeOf<BrokeResponseMetadata['broke']>().toEqualTypeOf<BrokeRouteMetadata>();
    expectTypeOf<BrokeResponseMetadata['model']>().toEqualTypeOf<string>();
    expectTypeOf<UnsupportedContentBlockError['blockType']>().toEqualTypeOf<string>();
  });

  it('bindTools keeps the call options type', () => {
    const model = new BrokeChatModel({ backend });
    const bound = model.bindTools([]);
    expectTypeOf(bound).toEqualTypeOf<
      Runnable<BaseLanguageModelInput, AIMessageChunk, BrokeChatModelCallOptions>
    >();
  });

  it('withStructuredOutput infers the zod output, with and without includeRaw', () => {
    const model = new BrokeChatModel({ backend });
    const Verdict = z.object({ answer: z.number(), confidence: z.number(), note: z.string().optional() });
    const plain = model.withStructuredOutput(Verdict);
    expectTypeOf(plain.invoke).returns.resolves.toEqualTypeOf<{
      answer: number;
      confidence: number;
      note?: string | undefined;
    }>();
    const raw = model.withStructuredOutput(Verdict, { includeRaw: true, method: 'jsonMode' });
    expectTypeOf(raw.invoke).returns.resolves.toEqualTypeOf<{
      raw: BaseMessage;
      parsed: { answer: number; confidence: number; note?: string | undefined };
    }>();
    const json = model.withStructuredOutput<{ answer: number }>({ type: 'object', properties: {} });
    expectTypeOf(json.invoke).returns.resolves.toEqualTypeOf<{ answer: number }>();
    // Unknown methods fail at compile time and (for untyped callers) at run time.
    // @ts-expect-error: not a structured output method BROKE knows
    expect(() => model.withStructuredOutput(Verdict, { method: 'xml' })).toThrow(ValidationError);
  });
});
