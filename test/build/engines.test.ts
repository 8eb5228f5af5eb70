import {
  formatDate,
  isRawStatement,
  normalizePep440,
  parsePep440,
  renderTemplate
} from '../../packages/docker/src/index.js';

/** The engines under the metadata: Handlebars-like templates, moment.js dates and PEP 440 versions. */
describe('the expression and date engines', () => {
  it('renders like Handlebars: escaping, triple braces, helpers, missing names', () => {
    expect(renderTemplate('a{{x}}b', { x: 'k=v&' })).toBe('ak&#x3D;v&amp;b');
    expect(renderTemplate('a{{{x}}}b', { x: 'k=v' })).toBe('ak=vb');
    expect(renderTemplate("{{f 'one' two k='v'}}", { f: (a, h) => `${a.join('|')}:${h.k}`, two: 2 })).toBe(
      'one|2:v'
    );
    expect(() => renderTemplate("{{nope 'x'}}", {})).toThrow(/not a function/);
    expect(isRawStatement('{{ raw }}')).toBe(true);
    expect(isRawStatement('{{raw}}.{{version}}')).toBe(false);
  });
  it('formats moment tokens in a time zone', () => {
    const d = new Date('2026-02-03T04:05:06.789Z');
    expect(formatDate(d, 'YYYY-MM-DD HH:mm:ss.SSS Z', 'UTC')).toBe('2026-02-03 04:05:06.789 +00:00');
    expect(formatDate(d, 'YY M D H h A a ZZ', 'America/New_York')).toBe('26 2 2 23 11 PM pm -0500');
    expect(formatDate(d, 'dddd Do MMMM [week] E DDD', 'Asia/Tokyo')).toBe('Tuesday 3rd February week 2 34');
    expect(formatDate(d, undefined, 'Asia/Tokyo')).toBe('2026-02-03T13:05:06+09:00');
    // Every token once, 09:35:06.789 +05:30 on Tuesday 3 February, day 34 of 2026.
    expect(
      formatDate(
        d,
        'YYYY YY Q M MM MMM MMMM D DD Do DDD DDDD d dd ddd dddd E H HH h hh k kk m mm s ss S SS SSS A a Z ZZ X x',
        'Asia/Kolkata'
      )
    ).toBe(
      '2026 26 1 2 02 Feb February 3 03 3rd 34 034 2 Tu Tue Tuesday 2 9 09 9 09 9 09 35 35 6 06 7 78 789 AM am +05:30 +0530 1770091506 1770091506789'
    );
    expect(formatDate(new Date('2026-02-03T12:00:00Z'), 'h hh k kk A', 'UTC')).toBe('12 12 12 12 PM');
    expect(formatDate(new Date('2026-02-03T00:00:00Z'), 'h k kk a', 'UTC')).toBe('12 24 24 am');
  });
  it('parses and normalises PEP 440', () => {
    expect(normalizePep440(parsePep440('1!2.0.0-ALPHA_1.post-3.DEV4+Ubuntu-1')!)).toBe(
      '1!2.0.0a1.post3.dev4+ubuntu.1'
    );
    expect(normalizePep440(parsePep440('2.0-1')!)).toBe('2.0.post1');
    expect(parsePep440('2.x')).toBeUndefined();
  });
});
