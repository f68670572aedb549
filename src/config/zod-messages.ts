/**
 * zod/mini starts with no messages: this gives it the English ones zod's full build has, so that
 * configuration errors read the same. Imported for its effect by every module that declares a schema.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());
