import { describe, expect, it } from 'vitest';
import { foldPattern, lowerAscii, testFolded } from '../../src/analysis/case-fold.js';
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
});
