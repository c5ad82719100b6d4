import { Transform } from 'class-transformer';
import { ValidateBy, buildMessage, type ValidationOptions } from 'class-validator';
import { singleLineProblem, stripControlCharacters } from './text-hygiene.js';

/**
 * A name or id: no control characters (NUL included) and no line breaks. Refused with a
 * 400 naming the field, since quietly changing what identifies something would surprise.
 * Arrays are checked element by element with `{ each: true }`.
 */
export function IsSingleLine(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSingleLine',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || singleLineProblem(value) === null,
        defaultMessage: buildMessage(
          (each) => `${each}$property must not contain control characters or line breaks`,
          options,
        ),
      },
    },
    options,
  );
}

/**
 * Free text: control characters (NUL included) are removed before validation, so a stray
 * byte from a paste never costs the rest of the text. `multiline` keeps line breaks.
 */
export function StripControls(options: { multiline?: boolean } = {}): PropertyDecorator {
  const clean = (value: unknown): unknown =>
    typeof value === 'string'
      ? stripControlCharacters(value, options)
      : Array.isArray(value)
        ? value.map(clean)
        : value;
  return Transform(({ value }) => clean(value));
}
