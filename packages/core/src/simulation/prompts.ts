import type { Rng } from './random.js';

/**
 * Prompt text for the simulated agents, written the way people and agent frameworks actually
 * write to models: short and loose when the ask is easy ("hi, thanks", "what is X?"), long and
 * demanding when it is hard (several constraints, rigor, design, pasted material). Every prompt is
 * assembled from independent parts (subject × ask × constraints × pasted material, each with its
 * own random fill), so the same text almost never repeats and a router cannot memorise it.
 * Nothing here is written for any particular analyzer.
 */

export type TaskKind = 'code' | 'reasoning' | 'summarization' | 'extraction' | 'creative' | 'chat' | 'math';
export type DifficultyClass = 'easy' | 'medium' | 'hard';

const FENCE = '```';

const SYSTEMS = [
  'the payments service',
  'our order-events Kafka consumer',
  'the mobile app offline sync',
  'the nightly billing export',
  'a Postgres-backed job queue',
  'the search indexer',
  'the auth gateway',
  'the public API rate limiter',
  'the CI pipeline',
  'the feature-flag service',
  'the thumbnail worker',
  'the notification fan-out',
  'the warehouse ELT load',
  'the Redis session cache',
  'the checkout page',
  'the internal admin dashboard',
];
const LANGS = ['TypeScript', 'Python', 'Go', 'Rust', 'Java', 'Kotlin'];
const ENTITIES = ['order', 'invoice', 'user', 'session', 'shipment', 'ticket', 'payment', 'report'];
const PEOPLE = [
  'Dana',
  'Priya',
  'Marco',
  'Lena',
  'Tomás',
  'Aiko',
  'Sam',
  'Noor',
  'Felix',
  'Ines',
  'Kwame',
  'Yuki',
];
const CONCEPTS = [
  'eventual consistency',
  'backpressure',
  'a circuit breaker',
  'idempotency',
  'a p95 latency',
  'a feature flag',
  'technical debt',
  'a write-ahead log',
  'head-of-line blocking',
  'a bloom filter',
  'CORS',
  'a race condition',
  'sharding',
  'a canary release',
];
const PRODUCTS = [
  'a habit-tracking app',
  'a note-taking tool for teams',
  'a self-hosted analytics product',
  'a coffee subscription',
  'a bike-repair booking site',
  'an open-source CLI for backups',
];

const pickPerson = (rng: Rng) => rng.pick(PEOPLE);
const entity = (rng: Rng) => rng.pick(ENTITIES);
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A few sentences of loose agent chatter that real prompts carry (context, hedges, politeness). */
function preamble(rng: Rng): string {
  return rng.pick([
    '',
    '',
    'Quick one. ',
    'Following up on the earlier thread. ',
    `${pickPerson(rng)} asked me to look into this. `,
    'Context: this is for the sprint review tomorrow. ',
    'Sorry if this is obvious. ',
  ]);
}

// ---------------------------------------------------------------------------------------------
// Pasted material: logs, timelines, notes, tickets. Built sentence by sentence from fills.

/** `n` items from `templates`, each template used once before any is used again (a shuffled deck). */
function deal(rng: Rng, templates: ReadonlyArray<() => string>, n: number): string[] {
  const out: string[] = [];
  let deck: Array<() => string> = [];
  while (out.length < n) {
    if (deck.length === 0) deck = rng.sample(templates, templates.length);
    out.push((deck.pop() as () => string)());
  }
  return out;
}

/** An incident timeline: `n` events at increasing times, each with its own fill. */
function timeline(rng: Rng, system: string, n: number): string[] {
  let minute = rng.int(0, 23 * 60);
  const events = deal(
    rng,
    [
      () =>
        `alert "${system} error rate > ${rng.int(2, 9)}%" fires; on-call (${pickPerson(rng)}) acknowledges ${rng.int(3, 19)} minutes later.`,
      () =>
        `deploy ${rng.int(1000, 9999)} of ${system} rolls out to ${rng.pick(['10% of hosts', 'half the hosts', 'every host'])}.`,
      () =>
        `p99 latency of ${system} climbs from ${rng.int(80, 200)} ms to ${rng.int(900, 4000)} ms; CPU stays flat.`,
      () =>
        `connection pool saturation warnings (${rng.int(95, 100)}% of ${rng.pick([50, 100, 200])} connections in use).`,
      () =>
        `${pickPerson(rng)} rolls back the config change; error rate drops but does not return to baseline.`,
      () => `retry storm: upstream clients retry with no jitter, request volume ×${rng.int(3, 8)}.`,
      () =>
        `a schema migration takes an ACCESS EXCLUSIVE lock on the ${entity(rng)}s table for ${rng.int(40, 300)} s.`,
      () => `DNS TTL expiry sends traffic to the drained region; health checks still report green.`,
      () =>
        `disk on the primary reaches ${rng.int(92, 100)}%; WAL archiving falls behind by ${rng.int(5, 40)} GB.`,
      () => `customer support reports ${rng.int(12, 400)} tickets about failed ${entity(rng)} updates.`,
      () => `the status page is updated; ${pickPerson(rng)} opens an incident channel.`,
      () =>
        `cache hit ratio drops from ${rng.int(90, 99)}% to ${rng.int(20, 60)}% after the eviction policy change.`,
      () =>
        `${pickPerson(rng)} notices the ${entity(rng)} backfill job started at the same time and pauses it.`,
      () =>
        `replication lag on the read replicas reaches ${rng.int(20, 600)} s; reads start returning stale ${entity(rng)}s.`,
    ],
    n,
  );
  return events.map((e) => {
    minute = (minute + rng.int(1, 17)) % (24 * 60);
    const hh = String(Math.floor(minute / 60)).padStart(2, '0');
    const mm = String(minute % 60).padStart(2, '0');
    return `${hh}:${mm} UTC — ${e}`;
  });
}

/** Sentences of research notes on `topic`. */
function notes(rng: Rng, topic: string, n: number): string[] {
  return deal(
    rng,
    [
      () =>
        `In the ${rng.int(2, 12)}-week pilot, ${topic} improved retention by ${rng.int(1, 9)}.${rng.int(0, 9)} points, but the control group was recruited a month later.`,
      () =>
        `${pickPerson(rng)} points out that the effect disappears when we exclude accounts older than ${rng.int(1, 5)} years.`,
      () => `Survey response rate was ${rng.int(8, 35)}%, skewed toward power users.`,
      () =>
        'We did not pre-register the primary metric; we switched from weekly actives to session length halfway through.',
      () =>
        `Two of the ${rng.int(5, 14)} interviewees mentioned ${topic} unprompted; the rest only after we asked about it.`,
      () =>
        `The dashboards use a different definition of "active" than the finance report (${rng.int(1, 7)}-day vs 28-day window).`,
      () =>
        `Latency in the treatment arm was ${rng.int(40, 300)} ms lower, which may explain part of the lift by itself.`,
      () =>
        `Open question: whether the seasonal dip in ${rng.pick(['December', 'August', 'Q1'])} confounds the comparison.`,
      () =>
        `A follow-up A/B test with ${rng.int(2, 40)}k users per arm would detect a 1-point change at 80% power, by our estimate.`,
      () =>
        `Prior work (an internal memo from last year) found the opposite sign, with a smaller sample of ${rng.int(300, 2000)} users.`,
      () =>
        `Cost: roughly $${rng.int(2, 60)}k per quarter in infrastructure, plus ${rng.int(2, 4)} engineers for maintenance.`,
      () =>
        `Churn among teams with more than ${rng.int(5, 50)} seats moved by less than half a point either way.`,
      () =>
        `${pickPerson(rng)} re-ran the numbers with the ${rng.pick(['March', 'June', 'September'])} cohort and got ${rng.int(1, 6)}.${rng.int(0, 9)} points instead.`,
    ],
    n,
  );
}

/** Lines of meeting notes. */
function meeting(rng: Rng, n: number): string[] {
  return deal(
    rng,
    [
      () => `${pickPerson(rng)}: we should freeze the ${entity(rng)} API until the migration is done.`,
      () =>
        `Decision: move the launch from ${rng.pick(['Tuesday', 'Thursday', 'the 14th', 'next sprint'])} to ${rng.pick(['Friday', 'the 21st', 'after the audit'])}.`,
      () =>
        `${pickPerson(rng)} will draft the rollout plan by ${rng.pick(['Monday', 'end of week', 'Wednesday'])}.`,
      () =>
        `Concern raised about ${rng.pick(SYSTEMS)} capacity during the ${rng.pick(['holiday', 'end-of-quarter', 'marketing'])} peak.`,
      () => `Budget for load testing approved (${rng.int(5, 30)} engineer-days).`,
      () => `${pickPerson(rng)} disagrees: the on-call load is already ${rng.int(8, 25)} pages a week.`,
      () => `Action item: ${pickPerson(rng)} to check whether legal signed off on the data retention change.`,
      () => `Nobody owns ${rng.pick(SYSTEMS)} since the re-org; it needs an owner.`,
      () =>
        `We agreed to drop the ${rng.pick(['dark mode', 'CSV import', 'SSO', 'audit log'])} work from this quarter.`,
      () => `${pickPerson(rng)} asked for a written decision record before anything ships.`,
      () => `The vendor quote came in ${rng.int(10, 60)}% over budget; ${pickPerson(rng)} will negotiate.`,
    ],
    n,
  );
}

/** Support tickets, numbered, with loosely written dates. */
function tickets(rng: Rng, n: number): string[] {
  const bodies = deal(
    rng,
    [
      () =>
        `Can't log in after resetting my password, says token expired. Plan: ${rng.pick(['Pro', 'Team', 'Enterprise'])}.`,
      () =>
        `Charged twice for ${entity(rng)} ${rng.int(10000, 99999)}, amount $${rng.int(9, 900)}.${rng.int(10, 99)}.`,
      () => `Export to CSV times out for ranges over ${rng.int(2, 12)} months.`,
      () => `The app logs me out every few minutes on Android ${rng.int(11, 15)}.`,
      () => `Refund requested for order ${rng.int(10000, 99999)} — item arrived damaged, photos attached.`,
      () => "Webhook deliveries failing with 401 since yesterday, our endpoint hasn't changed.",
      () => `Double charge again?? same as my last ticket, order ${rng.int(10000, 99999)}.`,
      () =>
        `Where do I change the billing email? ${pickPerson(rng).toLowerCase()}@example.com should get invoices.`,
      () => 'SSO login loops back to the start page, only for users in the EU workspace.',
      () => `Our integration gets 429s at ${rng.int(5, 60)} req/s, docs say the limit is higher.`,
    ],
    n,
  );
  let id = rng.int(4000, 8000);
  return bodies.map((b) => {
    id += rng.int(1, 40);
    const when = rng.pick([
      `${rng.int(1, 28)}/${rng.int(1, 12)}/${rng.pick(['2024', '24', '2025'])}`,
      `${rng.pick(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])} last week`,
      `${rng.int(2, 9)} days ago`,
      `${rng.pick(['March', 'Apr', 'June'])} ${rng.int(1, 28)}`,
    ]);
    return `#${id} (${when}) ${b}`;
  });
}

function pasted(lines: string[]): string {
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Code snippets, parameterised by names so they do not repeat verbatim.

function snippet(rng: Rng, size: 'small' | 'large'): { lang: string; code: string } {
  const e = entity(rng);
  const E = cap(e);
  const small = [
    {
      lang: 'TypeScript',
      code: `export async function load${E}s(ids: string[]) {\n  const out = [];\n  ids.forEach(async (id) => {\n    const row = await db.${e}s.find(id);\n    if (row) out.push(row);\n  });\n  return out;\n}`,
    },
    {
      lang: 'Python',
      code: `def total_${e}_amount(${e}s, currency="EUR"):\n    total = 0\n    for x in ${e}s:\n        if x["currency"] == currency:\n            total += float(x["amount"])\n    return round(total, 2)`,
    },
    {
      lang: 'Go',
      code: `func (s *Store) Get${E}(ctx context.Context, id string) (*${E}, error) {\n\ts.mu.RLock()\n\tif v, ok := s.cache[id]; ok {\n\t\treturn v, nil\n\t}\n\ts.mu.RUnlock()\n\treturn s.db.Fetch${E}(ctx, id)\n}`,
    },
    {
      lang: 'SQL',
      code: `SELECT u.id, COUNT(o.id) AS ${e}_count\nFROM users u\nLEFT JOIN ${e}s o ON o.user_id = u.id\nWHERE o.created_at > now() - interval '${rng.int(7, 90)} days'\nGROUP BY u.id;`,
    },
  ];
  const large = [
    {
      lang: 'TypeScript',
      code: `const inflight = new Map<string, Promise<${E}>>();\nlet hits = 0;\n\nexport async function get${E}(id: string): Promise<${E}> {\n  const cached = cache.get(id);\n  if (cached && cached.expires > Date.now()) { hits++; return cached.value; }\n  if (!inflight.has(id)) {\n    inflight.set(id, fetch${E}(id).then((v) => {\n      cache.set(id, { value: v, expires: Date.now() + ${rng.int(1, 60)}_000 });\n      return v;\n    }));\n  }\n  const v = await inflight.get(id)!;\n  inflight.delete(id);\n  return v;\n}\n\nexport function invalidate(id: string) {\n  cache.delete(id);\n}`,
    },
    {
      lang: 'Go',
      code: `type Limiter struct {\n\tmu     sync.Mutex\n\ttokens float64\n\tlast   time.Time\n\trate   float64\n\tburst  float64\n}\n\nfunc (l *Limiter) Allow() bool {\n\tnow := time.Now()\n\tl.tokens += now.Sub(l.last).Seconds() * l.rate\n\tif l.tokens > l.burst {\n\t\tl.tokens = l.burst\n\t}\n\tl.last = now\n\tif l.tokens < 1 {\n\t\treturn false\n\t}\n\tl.mu.Lock()\n\tl.tokens--\n\tl.mu.Unlock()\n\treturn true\n}`,
    },
    {
      lang: 'Python',
      code: `class ${E}Worker:\n    def __init__(self, queue, db):\n        self.queue = queue\n        self.db = db\n        self.seen = set()\n\n    async def run(self):\n        while True:\n            msg = await self.queue.get()\n            if msg.id in self.seen:\n                continue\n            await self.db.apply(msg.payload)\n            self.seen.add(msg.id)\n            await self.queue.ack(msg)\n\n    async def replay(self, since):\n        for msg in await self.queue.history(since):\n            await self.db.apply(msg.payload)`,
    },
  ];
  return rng.pick(size === 'small' ? small : large);
}

// ---------------------------------------------------------------------------------------------
// One generator per task kind. Each returns the user message only; the role's system prompt is
// added by the workload.

function code(rng: Rng, d: DifficultyClass): string {
  const lang = rng.pick(LANGS);
  if (d === 'easy') {
    return rng.pick([
      `how do I ${rng.pick(['reverse a string', 'read a file line by line', 'parse an ISO 8601 date', 'dedupe a list', 'sort a map by value', 'get the current UTC time', 'check if a key exists in a dict'])} in ${lang}?`,
      `What does \`${rng.pick(['git rebase -i', 'git cherry-pick', 'npm ci', 'chmod 600', 'docker compose down -v', 'kill -9'])}\` do?`,
      `${preamble(rng)}One-liner to ${rng.pick(['count lines in all .ts files', 'find the 10 biggest files in a folder', 'replace tabs with spaces in a file', 'list open ports'])} in bash?`,
      `Is \`${rng.pick(['const', 'let', 'var'])}\` or \`${rng.pick(['readonly', 'final', 'val'])}\` the ${lang} equivalent here? Just the short answer.`,
    ]);
  }
  if (d === 'medium') {
    if (rng.next() < 0.5) {
      const s = snippet(rng, 'small');
      return `${preamble(rng)}Can you review this ${s.lang} from ${rng.pick(SYSTEMS)}? ${rng.pick(['Something is off but tests pass.', 'It works locally but not in prod.', 'Point out bugs and style issues.', 'Is this correct?'])}\n\n${FENCE}\n${s.code}\n${FENCE}`;
    }
    return `${preamble(rng)}Write a ${lang} function that ${rng.pick([
      'parses a CSV line with quoted fields and escaped quotes',
      'retries an async call with exponential backoff and jitter',
      'merges overlapping time intervals',
      `groups ${entity(rng)}s by week and sums their amounts`,
      'validates an IBAN',
      'paginates through a cursor-based REST API',
      'debounces calls to a function',
      'computes a rolling 7-day average from daily rows',
    ])}. ${rng.pick(['Include a couple of unit tests.', 'Keep it dependency-free.', 'Add doc comments.', 'Handle empty input.'])}`;
  }
  const constraints = rng.sample(
    [
      'no external dependencies',
      'O(1) amortised time per operation, and say why',
      'it must stay correct if the process crashes between any two steps',
      'tolerate clock skew of up to 2 s between hosts',
      'bounded memory at 10k requests/s',
      'state the invariants and argue why each operation preserves them',
      'include property-based tests, not just examples',
      'keep p99 under 5 ms on a single core',
      'backwards compatible with the existing v1 wire format',
      'safe under concurrent callers without a global lock',
      'explain the failure modes and how each is detected',
    ],
    rng.int(3, 5),
  );
  if (rng.next() < 0.4) {
    const s = snippet(rng, 'large');
    return `${preamble(rng)}This ${s.lang} is from ${rng.pick(SYSTEMS)} and we see ${rng.pick(['rare duplicate side effects', 'occasional stale reads under load', 'limits being exceeded in bursts', 'a memory leak over days'])} in production.\n\n${FENCE}\n${s.code}\n${FENCE}\n\nFind every concurrency or correctness bug, explain the exact interleaving or input that triggers each one, and propose a fix. Requirements for the fix:\n${constraints.map((c) => `- ${c}`).join('\n')}`;
  }
  return `${preamble(rng)}Design and implement ${rng.pick([
    'a single-producer single-consumer ring buffer without locks',
    'an LRU cache with TTL and size-based eviction',
    'a token-bucket rate limiter shared across processes through Redis',
    'a write-ahead log with crash recovery and compaction',
    'an incremental parser for server-sent events that handles chunks split anywhere',
    'a consistent-hashing ring with virtual nodes and minimal rebalancing',
    `an idempotent webhook consumer for ${entity(rng)} events with exactly-once side effects`,
    'a scheduler for recurring jobs that survives leader failover',
  ])} in ${lang}. Requirements:\n${constraints.map((c) => `- ${c}`).join('\n')}\nWalk through the design before the code, then give the implementation and the tests.`;
}

function reasoning(rng: Rng, d: DifficultyClass): string {
  const system = rng.pick(SYSTEMS);
  if (d === 'easy') {
    return rng.pick([
      `what is ${rng.pick(CONCEPTS)}?`,
      `${preamble(rng)}In one or two sentences: why would anyone use ${rng.pick(CONCEPTS)}?`,
      `Is ${rng.pick(['Postgres', 'SQLite', 'Redis', 'S3'])} a database? short answer pls`,
      `Difference between a process and a thread, briefly?`,
    ]);
  }
  if (d === 'medium') {
    const [a, b] = rng.pick([
      ['Postgres', 'DynamoDB'],
      ['gRPC', 'REST'],
      ['a monorepo', 'separate repositories'],
      ['Kafka', 'SQS'],
      ['server-side rendering', 'a single-page app'],
      ['Kubernetes', 'a few VMs with systemd'],
      ['feature flags', 'long-lived branches'],
    ]) as [string, string];
    return `${preamble(rng)}We're choosing between ${a} and ${b} for ${system}. Team of ${rng.int(3, 12)}, about ${rng.int(1, 50)}k requests a day. What are the main trade-offs, and what would you pick? ${rng.pick(['Keep it to a page.', 'Bullet points are fine.', '', 'Be honest about the downsides.'])}`;
  }
  if (rng.next() < 0.5) {
    const lines = timeline(rng, system, rng.int(10, 18));
    return `${preamble(rng)}Below is the timeline from last night's incident in ${system} (${rng.int(40, 190)} minutes of degraded service). Write the analysis section of the postmortem: identify the root cause and the contributing factors, explain why detection took as long as it did, and propose remediations ranked by impact against effort. Be rigorous — separate what the timeline shows from what you are inferring, and say what data would confirm each inference. Mention any code-level fixes in prose; no code needed.\n\n${pasted(lines)}`;
  }
  const topic = rng.pick([
    'the onboarding checklist',
    'weekly digest emails',
    'in-app tips',
    'the new pricing page',
    'offline mode',
  ]);
  if (rng.next() < 0.5) {
    const noted = notes(rng, topic, rng.int(9, 16));
    return `Here are my research notes on whether ${topic} improves retention.\n\n${pasted(noted)}\n\nCritique the methodology: list the confounders and biases you see, say which conclusions the evidence does and does not support, and propose one experiment that would separate the competing explanations. Include the sample size reasoning.`;
  }
  return `${preamble(rng)}We need ${system} to handle ${rng.int(2, 40)}k requests/s at p99 < ${rng.int(50, 400)} ms across ${rng.int(2, 4)} regions, with ${rng.pick(['strong consistency for writes', 'read-your-writes for each user', 'at-least-once delivery and no duplicates visible to users'])}. Work through the architecture: capacity estimates with numbers, the data model, what happens when a region is lost or partitioned, how deploys and schema changes roll out, and the cost. State your assumptions explicitly and check them against the numbers; call out where the requirements conflict and which one you would relax.`;
}

function summarization(rng: Rng, d: DifficultyClass): string {
  if (d === 'easy') {
    const who = pickPerson(rng);
    return `Summarize in one line:\n\n"Hi all, ${who} here. ${meeting(rng, 2).join(' ')} Let me know if that doesn't work for you. Thanks!"`;
  }
  if (d === 'medium') {
    const lines = meeting(rng, rng.int(10, 18)).map((l) => `- ${l}`);
    return `${preamble(rng)}Summarize these meeting notes: the decisions, then the action items with owners.\n\n${pasted(lines)}`;
  }
  const system = rng.pick(SYSTEMS);
  const topic = rng.pick([
    'the onboarding checklist',
    'usage-based pricing',
    'the search relevance project',
    'the support chatbot',
  ]);
  // A long pasted document (≈ 1–3k tokens): the kind of thing agents hand a model to condense.
  const sections = [
    `## Background\n${notes(rng, topic, rng.int(6, 10)).join(' ')}`,
    `## Timeline\n${timeline(rng, system, rng.int(12, 20)).join('\n')}`,
    `## Discussion\n${meeting(rng, rng.int(8, 12)).join(' ')}`,
    `## Findings\n${notes(rng, topic, rng.int(6, 11)).join(' ')}`,
    `## Customer impact\n${tickets(rng, rng.int(6, 10)).join('\n')}`,
    `## Raw notes from the follow-up\n${meeting(rng, rng.int(6, 10))
      .map((l) => `- ${l}`)
      .join('\n')}`,
  ];
  return `${preamble(rng)}Summarize the document below for the leadership review in at most ${rng.pick([150, 200, 250])} words. Then list the open risks, and flag any place where two sections contradict each other or where a number does not add up. Keep every number exact; do not add facts that are not in the text.\n\n${rng.sample(sections, rng.int(4, 6)).join('\n\n')}`;
}

function extraction(rng: Rng, d: DifficultyClass): string {
  const who = pickPerson(rng);
  if (d === 'easy') {
    return rng.pick([
      `Extract the email address: "Hi, reach me at ${who.toLowerCase()}.${rng.int(1, 99)}@example.org after 5pm."`,
      `What's the order number in this: "Your order ${rng.int(100000, 999999)} has shipped and should arrive ${rng.pick(['Tuesday', 'tomorrow', 'next week'])}."`,
      `Pull the date out of "Meeting moved to ${rng.int(1, 28)} ${rng.pick(['March', 'June', 'Oct'])}, same room."`,
    ]);
  }
  if (d === 'medium') {
    const amount = `${rng.int(100, 9000)}.${rng.int(10, 99)}`;
    return `${preamble(rng)}Extract the invoice number, issue date, due date, total, currency and vendor from this email as JSON:\n\n"Dear ${who}, please find attached invoice INV-${rng.int(1000, 9999)} issued on ${rng.int(1, 28)}.${rng.int(1, 12)}.2025 for ${rng.pick(['consulting services', 'hosting', 'the annual licence'])}. The total of ${rng.pick(['€', '$', 'CHF '])}${amount} is due within ${rng.pick([14, 30, 45])} days. Late payments incur ${rng.int(1, 5)}% interest per month. Kind regards, ${rng.pick(['Acme GmbH', 'Northwind Ltd', 'Blue Harbor LLC', 'Studio Kettle'])}"`;
  }
  const list = tickets(rng, rng.int(10, 18));
  return `From the support tickets below, produce a JSON array with one object per distinct issue: {"ticket_ids": [...], "category": one of billing|auth|export|mobile|integrations|other, "first_reported": ISO 8601 date or null, "amounts": [...], "customer_plan": string or null, "ambiguous": bool, "reason": string}. Normalise every date to ISO 8601 (relative dates are relative to ${rng.int(1, 28)} ${rng.pick(['May', 'September', 'November'])} 2025), merge tickets that describe the same underlying issue, and mark a ticket ambiguous (with the reason) when it could belong to two categories. Output only valid JSON.\n\n${pasted(list)}`;
}

function creative(rng: Rng, d: DifficultyClass): string {
  const product = rng.pick(PRODUCTS);
  if (d === 'easy') {
    return rng.pick([
      `Give me a catchy name for ${product}.`,
      `write a haiku about ${rng.pick(['Monday deploys', 'a flaky test', 'autumn rain', 'coffee', 'the on-call pager'])}`,
      `A fun subject line for our ${rng.pick(['newsletter', 'team offsite invite', 'release notes'])}?`,
      `Rephrase "we're moving the retry() helper into utils" so it sounds less dry, one sentence.`,
    ]);
  }
  if (d === 'medium') {
    return `${preamble(rng)}Write a ${rng.pick([120, 150, 200])}-word ${rng.pick(['product announcement', 'LinkedIn post', 'release note', 'welcome email'])} for ${product} about ${rng.pick(['the new offline mode', 'our price change', 'the v2 API (the old `/v1` endpoints keep working until June)', 'shared workspaces'])}, aimed at ${rng.pick(['small business owners', 'developers', 'existing customers', 'students'])}. Tone: ${rng.pick(['friendly but not cheesy', 'confident and plain', 'warm, a bit playful'])}.`;
  }
  const constraints = rng.sample(
    [
      'told in the second person',
      'a non-linear timeline that still reads clearly',
      'the twist must be foreshadowed in the first paragraph',
      'no dialogue tags other than "said"',
      'every section ends on a question',
      'include one character who only speaks in questions',
      'avoid the words "suddenly" and "very"',
      'the ending must recontextualise the title',
    ],
    rng.int(3, 4),
  );
  if (rng.next() < 0.5) {
    return `Write a ${rng.pick([1000, 1200, 1500])}-word short story set in ${rng.pick(['a night-shift data centre', 'a lighthouse converted into a server room', 'a startup the week before its launch', 'a city where it never stops raining'])}. Constraints:\n${constraints.map((c) => `- ${c}`).join('\n')}\nBefore the story, give a three-sentence outline of the structure you chose and why it fits the constraints.`;
  }
  return `${preamble(rng)}Draft the launch blog post for ${product}'s ${rng.pick(['team plan', 'self-hosted edition', 'public API'])}. It has to work for three audiences at once (current users, new prospects, and developers migrating from v1 — mention the \`--legacy\` flag and the deprecation date), include a short FAQ, and stay under ${rng.pick([900, 1100])} words. Tone: ${rng.pick(['plainspoken, no hype', 'confident, lightly funny'])}. Also:\n${constraints
    .slice(0, 2)
    .map((c) => `- ${c}`)
    .join('\n')}`;
}

function chat(rng: Rng, d: DifficultyClass): string {
  if (d === 'easy') {
    return rng.pick([
      'hi, thanks!',
      'thanks, that worked',
      'ok cool. can you say that shorter?',
      'hello',
      `what time is it in ${rng.pick(['Tokyo', 'Berlin', 'São Paulo', 'Nairobi'])} when it's 9am in London?`,
      'great, thank you 🙏',
      `what is ${rng.pick(CONCEPTS)}?`,
      'sorry, can you repeat the last step?',
      `my \`npm install\` says EACCES, what does that mean?`,
    ]);
  }
  if (d === 'medium') {
    return `A customer writes: "${rng.pick([
      `I was charged twice for my ${rng.pick(['Pro', 'Team'])} subscription this month.`,
      'The export button does nothing in Safari.',
      "I can't invite my colleague, it says the seat limit is reached but we have 3 of 5 seats.",
      'Your app deleted my notes after the update!!',
      'How do I move my account to a different email?',
    ])}" Draft a reply that ${rng.pick(['apologises once, explains the likely cause and gives clear next steps', 'is short and friendly and asks for the one detail we need', 'explains the workaround step by step'])}.`;
  }
  const issues = rng.sample(
    [
      `they were double-billed in ${rng.pick(['March', 'April', 'May'])} and the refund has not arrived after ${rng.int(10, 30)} days`,
      `SSO broke for ${rng.int(20, 400)} of their users after our certificate rotation`,
      `their nightly export has failed ${rng.int(3, 9)} times this month`,
      'support closed two of their tickets without an answer',
      'they need a signed DPA before their audit next month',
      `our API rate limits (${rng.int(10, 100)} req/s) block their migration`,
    ],
    rng.int(3, 4),
  );
  return `An enterprise customer (${rng.int(200, 3000)} seats, renewal in ${rng.int(2, 8)} weeks) is threatening to churn. Their complaints: ${issues.join('; ')}. Write a reply to their VP that addresses each point accurately and in order, does not promise anything legal or finance have not approved, proposes a concrete remediation plan with dates and owners, and offers an escalation path. Then write a separate internal note for the account team summarising the risk and what we need from engineering.`;
}

function math(rng: Rng, d: DifficultyClass): string {
  if (d === 'easy') {
    return rng.pick([
      `what's ${rng.int(5, 30)}% of ${rng.int(40, 900)}?`,
      `convert ${rng.int(1, 9)}.${rng.int(1, 9)} GiB to MB`,
      `what is 2^${rng.int(8, 32)}?`,
      `${rng.int(100, 999)} * ${rng.int(10, 99)} = ?`,
      `how many seconds in ${rng.int(2, 9)} days?`,
    ]);
  }
  if (d === 'medium') {
    return rng.pick([
      `Our error rate went from ${rng.int(1, 9)}.${rng.int(0, 9)}% to ${rng.int(2, 12)}.${rng.int(0, 9)}% after the deploy, over ${rng.int(5, 90)}k requests each side. Is that statistically significant? Show the test you use.`,
      `We pay $${rng.int(1, 9)}.${rng.int(10, 99)} per GB-month for storage and ingest ${rng.int(20, 400)} GB a day, keeping data for ${rng.int(30, 400)} days. What's the steady-state monthly cost? Show the steps.`,
      `A service has ${rng.int(3, 12)} replicas, each ${rng.int(99, 99)}.${rng.int(5, 9)}% available, and needs any ${rng.int(2, 3)} of them up. What's the availability of the service? Assume independence and show the calculation.`,
    ]);
  }
  const c = rng.int(2, 8);
  const mu = rng.int(5, 40);
  return rng.pick([
    `Derive the expected waiting time in an M/M/c queue with c = ${c} servers, λ = ${Math.round(c * mu * rng.range(0.6, 0.95))}/s and μ = ${mu}/s (Erlang C), compute it numerically, and explain how it changes when we add one server. Then argue whether the Poisson-arrival assumption holds for bursty agent traffic and what that does to the estimate. Show every step.`,
    `Prove that the greedy earliest-finish-time algorithm for interval scheduling is optimal, then show with a counterexample that it fails when intervals have weights, and give the O(n log n) dynamic program for the weighted case with a proof of correctness.`,
    `Given daily signups ${Array.from({ length: rng.int(8, 12) }, () => rng.int(80, 400)).join(', ')} and ad spend ${Array.from({ length: 10 }, () => rng.int(1, 9) * 100).join(', ')} (same days, truncate to the shorter list), fit a least-squares line by hand, give a 95% confidence interval for the slope, check the residuals, and say whether a linear model is justified. Be explicit about every assumption.`,
  ]);
}

const GENERATORS: Record<TaskKind, (rng: Rng, d: DifficultyClass) => string> = {
  code,
  reasoning,
  summarization,
  extraction,
  creative,
  chat,
  math,
};

/** The user message of one request of `kind` and difficulty class `d`. */
export function userPrompt(rng: Rng, kind: TaskKind, d: DifficultyClass): string {
  return GENERATORS[kind](rng, d).trim();
}
