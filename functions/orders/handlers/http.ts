import { problemResponder } from '#shared/http';

/** Problems of the orders API. */
export const problem = problemResponder('https://duckstore.dev/problems/');
