import { describe, it, expect } from 'vitest';
import { parseEnvFile } from '../../src/process/env-file.js';

describe('parseEnvFile', () => {
  it('reads plain assignments and skips comments and blank lines', () => {
    const text = ['# a comment', '', '   # indented comment', 'A=1', 'B = two ', '  C=three', 'not a line', '1BAD=x'].join('\n');
    expect(parseEnvFile(text)).toEqual({ A: '1', B: 'two', C: 'three' });
  });

  it('strips matching double or single quotes, keeping what is inside', () => {
    const text = ['D="hello world"', "S='single # not a comment'", 'H="has # hash"', 'E=""', 'M="mismatched\''].join('\n');
    expect(parseEnvFile(text)).toEqual({
      D: 'hello world',
      S: 'single # not a comment',
      H: 'has # hash',
      E: '',
      M: '"mismatched\'',
    });
  });

  it('accepts `export X=1`', () => {
    expect(parseEnvFile('export X=1\nexport   Y="y"')).toEqual({ X: '1', Y: 'y' });
  });

  it('drops inline comments on unquoted values, but not a # inside a word', () => {
    const text = ['PORT=8000 # the port', 'URL=http://x/#frag', 'TABBED=on\t# tab before the comment'].join('\n');
    const env = parseEnvFile(text);
    expect(env.PORT).toBe('8000');
    expect(env.URL).toBe('http://x/#frag');
    expect(env.TABBED).toBe('on');
  });

  it('an unquoted value that is only a comment is empty (as in bash, make, dotenv)', () => {
    expect(parseEnvFile('EMPTY= # nothing')).toEqual({ EMPTY: '' });
  });

  it('handles CRLF line endings, and later lines win', () => {
    expect(parseEnvFile('A=1\r\nB=2\r\nA=3\r\n')).toEqual({ A: '3', B: '2' });
  });

  it('keeps = signs in values', () => {
    expect(parseEnvFile('KEY=abc==\nCONN=a=b;c=d')).toEqual({ KEY: 'abc==', CONN: 'a=b;c=d' });
  });
});
