/**
 * Block Kit checks for the fake Slack Web API (test/support/fake-slack.ts).
 *
 * Limits are the ones Slack's Block Kit reference documents (blocks, block elements, composition
 * objects, modal views). Errors are phrased the way Slack phrases them in `invalid_blocks`
 * answers: "<problem> [json-pointer:/blocks/0/elements/1/text/text]", so a failing test points at
 * the offending field exactly as Slack's own answer would.
 *
 * Only the block and element types Interlock uses are modelled; anything else is refused rather
 * than waved through, so a new type has to be added here (checked against the docs) before use.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: string[] = [];

  fail(pointer: string, problem: string): void {
    this.errors.push(`${problem} [json-pointer:${pointer}]`);
  }

  /** A string field: `required` and at most `max` characters (Slack counts characters). */
  string(value: unknown, pointer: string, max: number, required = false): value is string {
    if (value === undefined) {
      if (required) this.fail(pointer, 'missing required field');
      return false;
    }
    if (typeof value !== 'string') return (this.fail(pointer, 'must be a string'), false);
    if (required && value.length === 0) return (this.fail(pointer, 'must be more than 0 characters'), false);
    if ([...value].length > max) return (this.fail(pointer, `must be less than ${max + 1} characters`), false);
    return true;
  }

  boolean(value: unknown, pointer: string, required = false): void {
    if (value === undefined) {
      if (required) this.fail(pointer, 'missing required field');
    } else if (typeof value !== 'boolean') this.fail(pointer, 'must be a boolean');
  }

  /** A text composition object: plain_text or mrkdwn, non-empty text, at most `max` characters. */
  text(value: unknown, pointer: string, max: number, opts: { required?: boolean; plainOnly?: boolean } = {}): void {
    if (value === undefined) {
      if (opts.required) this.fail(pointer, 'missing required field');
      return;
    }
    if (!isObj(value)) return this.fail(pointer, 'must provide an object');
    const allowed = opts.plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
    if (!allowed.includes(value.type as string)) {
      return this.fail(`${pointer}/type`, `must be one of: ${allowed.join(', ')}`);
    }
    this.string(value.text, `${pointer}/text`, max, true);
    if (value.type === 'plain_text') this.boolean(value.emoji, `${pointer}/emoji`);
    if (value.type === 'mrkdwn') this.boolean(value.verbatim, `${pointer}/verbatim`);
  }

  array(value: unknown, pointer: string, min: number, max: number): value is unknown[] {
    if (!Array.isArray(value)) return (this.fail(pointer, 'must provide an array'), false);
    if (value.length < min) return (this.fail(pointer, `must provide at least ${min} items`), false);
    if (value.length > max) return (this.fail(pointer, `no more than ${max} items allowed`), false);
    return true;
  }

  /** Confirmation dialog object. */
  confirm(value: unknown, pointer: string): void {
    if (value === undefined) return;
    if (!isObj(value)) return this.fail(pointer, 'must provide an object');
    this.text(value.title, `${pointer}/title`, 100, { required: true, plainOnly: true });
    this.text(value.text, `${pointer}/text`, 300, { required: true });
    this.text(value.confirm, `${pointer}/confirm`, 30, { required: true, plainOnly: true });
    this.text(value.deny, `${pointer}/deny`, 30, { required: true, plainOnly: true });
    this.style(value.style, `${pointer}/style`);
  }

  style(value: unknown, pointer: string): void {
    if (value !== undefined && value !== 'primary' && value !== 'danger') {
      this.fail(pointer, 'must be one of: primary, danger');
    }
  }

  numeric(value: unknown, pointer: string, decimal: boolean): number | undefined {
    if (value === undefined) return undefined;
    // Slack's schema wants these as strings ("5", not 5).
    if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(Number(value))) {
      return (this.fail(pointer, 'must be a numeric string'), undefined);
    }
    if (!decimal && !Number.isInteger(Number(value))) return (this.fail(pointer, 'must be an integer'), undefined);
    return Number(value);
  }

  /** An interactive element; `allowed` is what the containing block accepts. */
  element(value: unknown, pointer: string, allowed: readonly string[], actionIds: Set<string>): void {
    if (!isObj(value)) return this.fail(pointer, 'must provide an object');
    if (!allowed.includes(value.type as string)) {
      return this.fail(`${pointer}/type`, `unsupported element type \`${String(value.type)}\` here`);
    }
    if (this.string(value.action_id, `${pointer}/action_id`, 255)) {
      // The docs: action_id "should be unique among all other action_ids in the containing block".
      if (actionIds.has(value.action_id)) this.fail(`${pointer}/action_id`, 'duplicate action_id');
      actionIds.add(value.action_id);
    }
    const placeholder = (max: number) =>
      this.text(value.placeholder, `${pointer}/placeholder`, max, { plainOnly: true });
    switch (value.type) {
      case 'button':
        this.text(value.text, `${pointer}/text`, 75, { required: true, plainOnly: true });
        this.string(value.value, `${pointer}/value`, 2000);
        this.string(value.url, `${pointer}/url`, 3000);
        this.string(value.accessibility_label, `${pointer}/accessibility_label`, 75);
        this.style(value.style, `${pointer}/style`);
        this.confirm(value.confirm, `${pointer}/confirm`);
        return;
      case 'plain_text_input': {
        placeholder(150);
        this.boolean(value.multiline, `${pointer}/multiline`);
        this.string(value.initial_value, `${pointer}/initial_value`, 3000);
        const bound = (key: 'min_length' | 'max_length', lowest: number) => {
          const n = value[key];
          if (n === undefined) return;
          if (!Number.isInteger(n) || (n as number) < lowest || (n as number) > 3000) {
            this.fail(`${pointer}/${key}`, `must be an integer from ${lowest} to 3000`);
          }
        };
        bound('min_length', 0);
        bound('max_length', 1);
        if (typeof value.min_length === 'number' && typeof value.max_length === 'number') {
          if (value.min_length > value.max_length) this.fail(`${pointer}/min_length`, 'must not exceed max_length');
        }
        return;
      }
      case 'number_input': {
        placeholder(150);
        this.boolean(value.is_decimal_allowed, `${pointer}/is_decimal_allowed`, true);
        const decimal = value.is_decimal_allowed === true;
        const min = this.numeric(value.min_value, `${pointer}/min_value`, decimal);
        const max = this.numeric(value.max_value, `${pointer}/max_value`, decimal);
        this.numeric(value.initial_value, `${pointer}/initial_value`, decimal);
        if (min !== undefined && max !== undefined && min > max) {
          this.fail(`${pointer}/min_value`, 'cannot be greater than max_value');
        }
        return;
      }
      case 'static_select': {
        placeholder(150);
        if (value.option_groups !== undefined) this.fail(`${pointer}/option_groups`, 'not modelled by the fake');
        const values: string[] = [];
        if (this.array(value.options, `${pointer}/options`, 1, 100)) {
          value.options.forEach((option, i) => {
            const at = `${pointer}/options/${i}`;
            if (!isObj(option)) return this.fail(at, 'must provide an object');
            this.text(option.text, `${at}/text`, 75, { required: true, plainOnly: true });
            if (this.string(option.value, `${at}/value`, 150, true)) values.push(option.value);
            this.text(option.description, `${at}/description`, 75, { plainOnly: true });
          });
        }
        if (value.initial_option !== undefined) {
          const initial = isObj(value.initial_option) ? value.initial_option.value : undefined;
          if (!values.includes(initial as string)) {
            this.fail(`${pointer}/initial_option`, 'must match one of the provided options');
          }
        }
        this.confirm(value.confirm, `${pointer}/confirm`);
        return;
      }
    }
  }

  block(block: unknown, pointer: string, blockIds: Set<string>): void {
    if (!isObj(block)) return this.fail(pointer, 'must provide an object');
    if (this.string(block.block_id, `${pointer}/block_id`, 255)) {
      if (blockIds.has(block.block_id)) this.fail(`${pointer}/block_id`, 'duplicate block_id');
      blockIds.add(block.block_id);
    }
    const actionIds = new Set<string>();
    switch (block.type) {
      case 'header':
        return this.text(block.text, `${pointer}/text`, 150, { required: true, plainOnly: true });
      case 'divider':
        return;
      case 'section':
        if (block.text === undefined && block.fields === undefined) {
          return this.fail(pointer, 'must define either `text` or `fields`');
        }
        this.text(block.text, `${pointer}/text`, 3000);
        if (block.fields !== undefined && this.array(block.fields, `${pointer}/fields`, 1, 10)) {
          block.fields.forEach((f, i) => this.text(f, `${pointer}/fields/${i}`, 2000, { required: true }));
        }
        if (block.accessory !== undefined) {
          this.element(block.accessory, `${pointer}/accessory`, ['button', 'static_select'], actionIds);
        }
        return;
      case 'context':
        if (!this.array(block.elements, `${pointer}/elements`, 1, 10)) return;
        return block.elements.forEach((el, i) => {
          const at = `${pointer}/elements/${i}`;
          if (isObj(el) && el.type === 'image') {
            this.string(el.image_url, `${at}/image_url`, 3000, true);
            this.string(el.alt_text, `${at}/alt_text`, 2000, true);
          } else this.text(el, at, 3000, { required: true });
        });
      case 'actions':
        if (!this.array(block.elements, `${pointer}/elements`, 1, 25)) return;
        return block.elements.forEach((el, i) =>
          this.element(el, `${pointer}/elements/${i}`, ['button', 'static_select'], actionIds),
        );
      case 'input':
        this.text(block.label, `${pointer}/label`, 2000, { required: true, plainOnly: true });
        this.text(block.hint, `${pointer}/hint`, 2000, { plainOnly: true });
        this.boolean(block.optional, `${pointer}/optional`);
        this.boolean(block.dispatch_action, `${pointer}/dispatch_action`);
        if (block.element === undefined) return this.fail(`${pointer}/element`, 'missing required field');
        return this.element(
          block.element,
          `${pointer}/element`,
          ['plain_text_input', 'number_input', 'static_select'],
          actionIds,
        );
      default:
        return this.fail(`${pointer}/type`, `unsupported block type \`${String(block.type)}\``);
    }
  }

  blocks(blocks: unknown, pointer: string, max: number): void {
    if (!this.array(blocks, pointer, 0, max)) return;
    const blockIds = new Set<string>();
    blocks.forEach((b, i) => this.block(b, `${pointer}/${i}`, blockIds));
  }
}

/** Problems with a message's `blocks` (≤ 50 per message); empty when Slack would accept them. */
export function checkMessageBlocks(blocks: unknown): string[] {
  const c = new Checker();
  c.blocks(blocks, '/blocks', 50);
  return c.errors;
}

/** Problems with a modal view object as views.open receives it; empty when Slack would accept it. */
export function checkModalView(view: unknown): string[] {
  const c = new Checker();
  if (!isObj(view)) return (c.fail('/view', 'must provide an object'), c.errors);
  if (view.type !== 'modal') c.fail('/view/type', 'must be modal');
  c.text(view.title, '/view/title', 24, { required: true, plainOnly: true });
  c.text(view.submit, '/view/submit', 24, { plainOnly: true });
  c.text(view.close, '/view/close', 24, { plainOnly: true });
  c.string(view.private_metadata, '/view/private_metadata', 3000);
  c.string(view.callback_id, '/view/callback_id', 255);
  c.string(view.external_id, '/view/external_id', 255);
  c.boolean(view.clear_on_close, '/view/clear_on_close');
  c.boolean(view.notify_on_close, '/view/notify_on_close');
  c.blocks(view.blocks, '/view/blocks', 100);
  // "submit is required when an input block is within the blocks array".
  const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
  if (hasInput && view.submit === undefined) c.fail('/view/submit', 'required when the view has input blocks');
  return c.errors;
}

/** Every element in `blocks`, with the block that holds it (for building interaction payloads). */
export function elementsOf(blocks: unknown): Array<{ block: Obj; element: Obj }> {
  if (!Array.isArray(blocks)) return [];
  return blocks.filter(isObj).flatMap((block) => {
    const found = [block.accessory, block.element, ...(Array.isArray(block.elements) ? block.elements : [])];
    return found.filter(isObj).map((element) => ({ block, element }));
  });
}
