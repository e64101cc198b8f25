import type { Options } from 'ajv';

/**
 * One set of options for the runtime compile and the build-time standalone
 * validator, so the two can never judge a site differently.
 */
export const siteAjvOptions: Options = { allErrors: true, useDefaults: true, verbose: true, strict: true };

/** x-hint carries the human wording of a format; an annotation, not an assertion. */
export const annotationKeywords = ['x-hint'];
