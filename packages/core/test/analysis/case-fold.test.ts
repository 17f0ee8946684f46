import { describe, expect, it } from 'vitest';
import { foldPattern, gateOf, lowerAscii, testFolded } from '../../src/analysis/case-fold.js';
import { classifyTaskType } from '../../src/analysis/task-type.js';

describe('case-folded cue patterns', () => {
  it('makes a case-sensitive copy only of /i patterns whose letters are all lowercase', () => {
    expect(foldPattern(/\b(?:summar(?:y|ise)|tl;?dr)\b\s\S/i).folded?.flags).toBe('');
    expect(foldPattern(/\bcount\b/gi).folded?.flags).toBe('g');
    expect(foldPattern(/TypeError/).folded).toBeUndefined();
    expect(foldPattern(/\bTypeError\b/i).folded).toBeUndefined();
    expect(foldPattern(/\u0041bc/i).folded).toBeUndefined();
    expect(foldPattern(/abc/iu).folded).toBeUndefined();
    expect(foldPattern(/(a)\1/i).folded).toBeUndefined();
  });

  it('answers as the /i pattern does, for ASCII text in any case and for non-ASCII text', () => {
    const cue = foldPattern(/\b(?:kubernetes|analy[sz]e|step by step)\b/i);
    const samples = [
      'Deploy it on Kubernetes',
      'ANALYZE the logs STEP BY STEP',
      'nothing to see',
      // The Kelvin sign lowercases to "k", but /i (without u) does not match it to k.
      'Deploy it on \u212Aubernetes',
      'Analysé: kubernetes ünd more',
    ];
    for (const text of samples) expect(testFolded(cue, text, lowerAscii(text))).toBe(cue.pattern.test(text));
    expect(lowerAscii('Deploy it on \u212Aubernetes')).toBeUndefined();
    expect(lowerAscii('MiXeD Case')).toBe('mixed case');
  });

  it('classifies upper-case and mixed-case prompts as before', () => {
    expect(classifyTaskType('TRANSLATE THIS INTO GERMAN: good morning')).toBe('translation');
    expect(classifyTaskType('Write a Python function that parses ISO dates')).toBe('code');
    expect(classifyTaskType('Summarize the key points of this thread')).toBe('summarization');
  });

  it('gates a set of cues with one pattern that matches wherever any cue does, and only there', () => {
    const cues = [
      /```|\b(?:def|class)\b[^\n]{0,40}[({=:]/,
      /\b[A-Za-z_]+\(\)|TypeError|null pointer/,
      /^\s*(?:please\s+)?(?:translate|locali[sz]e)\b/i,
      /\b(?:into|to) (?:english|german)\b/i,
      /\d\s*[-+*/^]\s*\d|\bx\s*=\S/i,
    ];
    const gate = gateOf(cues);
    if (!gate) throw new Error('these cues have a gate');
    expect(gate.folded).toBeDefined();
    const texts = [
      'TRANSLATE this into German',
      'please localise the strings',
      'say it in German',
      'Why does Foo() throw a TypeError?',
      'why does it throw a typeerror?',
      'class Foo: pass',
      '```js\nlet x\n```',
      'what is 2 + 2',
      'X = 4',
      'we need to translate this', // the anchored cue does not match mid-text
      'Übersetze das into ENGLISH',
      'nothing here at all',
      '',
    ];
    for (const text of texts) {
      const lower = lowerAscii(text);
      const anyCue = cues.some((cue) => cue.test(text));
      // A superset: never closed where a cue matches (a case-sensitive cue may open it needlessly).
      if (anyCue) expect(testFolded(gate, text, lower), text).toBe(true);
    }
    expect(testFolded(gate, 'nothing here at all', 'nothing here at all')).toBe(false);
    expect(testFolded(gate, 'we need to translate this', 'we need to translate this')).toBe(false);
  });

  it('has no gate for cues whose flags or escapes it could not keep', () => {
    expect(gateOf([/abc/g])).toBeUndefined();
    expect(gateOf([/abc/i, /\u0041/])).toBeUndefined();
    expect(gateOf([/\p{Lu}/u])).toBeUndefined();
    // Case-sensitive cues join a case-insensitive gate: escapes such as \S and \B keep their case.
    expect(gateOf([/\bFoo\S/, /bar\B/i])?.pattern.source).toBe('(?:\\bfoo\\S)|(?:bar\\B)');
  });
});
