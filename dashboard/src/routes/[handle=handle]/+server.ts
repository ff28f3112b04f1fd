// /:handle is the short form people type; the page lives at /@:handle.
import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = ({ params }) => redirect(301, `/@${params.handle}`);
