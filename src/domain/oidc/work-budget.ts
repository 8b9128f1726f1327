/**
 * A budget of matching steps for one policy evaluation (catalog X06). Matching is linear per
 * pattern, but an issuer may hold 100 policies × 32 rules × 32 patterns and a claim may be tens of
 * kilobytes, so the product still reaches seconds of synchronous CPU, during which the process
 * answers nobody. Each pattern match charges its worst-case cost before it runs; once the budget
 * is spent the evaluation stops and the decision fails closed (deny).
 */

/**
 * Steps one evaluation may spend: one step is one code point read by one segment scan. Measured on
 * this project's 2-core machine, a million steps of the worst case (30 KB claims, patterns of 16
 * wildcards or 250-character segments) take 10-25 ms, which keeps an exchange or a dry run under
 * 50 ms of CPU. Real policies (GitHub claims of under 200 characters, a few rules and patterns
 * per policy) spend a few thousand; 100 policies of 5 rules with 3 patterns each, about 50,000.
 */
export const DEFAULT_MATCH_BUDGET = 1_000_000;

/**
 * Steps charged for each pattern match on top of its reading of the value: the fixed cost of a
 * call, measured as about as much as reading 16 code points. Without it 100 policies × 32 rules ×
 * 32 patterns against one-character claims would cost 100,000 calls and nothing by length.
 */
export const STEPS_PER_MATCH = 16;

/** Thrown when a budget is spent; evaluatePolicies turns it into a denial. */
export class BudgetExceeded extends Error {
  constructor() {
    super('policy evaluation work budget exceeded');
    this.name = 'BudgetExceeded';
  }
}

/** The steps one evaluation has spent, against its limit; one instance per evaluation. */
export class WorkBudget {
  private spent = 0;
  constructor(readonly limit: number = DEFAULT_MATCH_BUDGET) {}

  /** Charges `steps` before they are taken; throws BudgetExceeded when that would pass the limit. */
  charge(steps: number): void {
    this.spent += steps;
    if (this.spent > this.limit) throw new BudgetExceeded();
  }

  get used(): number {
    return this.spent;
  }
}
