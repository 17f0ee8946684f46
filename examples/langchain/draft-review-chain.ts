/**
 * Example: a two-step chain (drafter → reviewer) on ONE BrokeChatModel. Each step names its role,
 * so BROKE routes the drafter and the reviewer to the models their role rules prefer.
 *
 *   BROKE_GATEWAY=http://127.0.0.1:8787 npx tsx examples/langchain/draft-review-chain.ts "release notes"
 */
import { type BrokeChatModel, BrokeFeedbackHandler, type BrokeRouteMetadata } from '@broke/langchain';
import type { AIMessage } from '@langchain/core/messages';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnableLambda, RunnableSequence } from '@langchain/core/runnables';

export interface DraftReview {
  draft: string;
  review: string;
  /** Where each step was routed (from response_metadata.broke). */
  routes: { drafter: BrokeRouteMetadata; reviewer: BrokeRouteMetadata };
}

const draftPrompt = ChatPromptTemplate.fromMessages([
  ['system', 'You write short, clear drafts.'],
  ['human', 'Write a one-line draft about: {topic}'],
]);
const reviewPrompt = ChatPromptTemplate.fromMessages([
  ['system', 'You review drafts strictly and briefly.'],
  ['human', 'Review this draft:\n\n{draft}'],
]);

const route = (m: AIMessage) => m.response_metadata.broke as BrokeRouteMetadata;

/** topic → { draft, review, routes }: the same model object serves both steps. */
export function draftReviewChain(model: BrokeChatModel) {
  // Call options bound per step: the role (and task type) this step routes by.
  const drafter = model.withConfig({ role: 'drafter', taskType: 'creative' });
  const reviewer = model.withConfig({ role: 'reviewer' });
  return RunnableSequence.from([
    draftPrompt,
    drafter,
    RunnableLambda.from(async (draft: AIMessage) => ({
      draft,
      reviewed: await reviewPrompt.pipe(reviewer).invoke({ draft: draft.text }),
    })),
    RunnableLambda.from(
      ({ draft, reviewed }: { draft: AIMessage; reviewed: AIMessage }): DraftReview => ({
        draft: draft.text,
        review: reviewed.text,
        routes: { drafter: route(draft), reviewer: route(reviewed) },
      }),
    ),
  ]).withConfig({ runName: 'DraftReview', metadata: { team: 'writers' } });
}

/** Runs the chain with the feedback handler attached, so every step's outcome reaches the router. */
export async function runDraftReview(model: BrokeChatModel, topic: string) {
  const feedback = new BrokeFeedbackHandler(model);
  const result = await draftReviewChain(model).invoke({ topic }, { callbacks: [feedback] });
  await feedback.flush();
  return { result, records: feedback.records };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { BrokeChatModel } = await import('@broke/langchain');
  const model = new BrokeChatModel({
    gateway: { url: process.env.BROKE_GATEWAY ?? 'http://127.0.0.1:8787' },
  });
  const { result } = await runDraftReview(model, process.argv[2] ?? 'BROKE');
  console.log(JSON.stringify(result, (k, v) => (k === 'explanation' ? undefined : v), 2));
}
