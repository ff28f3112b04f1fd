// The GraphQL half of the fake GitHub (fake-github.ts): a small parser for the query language subset
// clients send (operations with variables, aliases, arguments, nested selections, fragments), and
// GitHub's documented rate-limit arithmetic on the parsed query:
//   - every connection needs `first` or `last`, 1 to 100, and a query may ask for at most 500,000 nodes;
//   - its point cost: the requests each connection needs (the product of the `first`/`last` of the
//     connections above it), summed, divided by 100 and rounded, at least 1 point
//     (docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api).
// A test harness, never imported by app code.

export type GraphQLValue = string | number | boolean | null | { variable: string } | GraphQLValue[];

export interface GraphQLField {
  alias: string;
  name: string;
  args: Record<string, GraphQLValue>;
  selections: GraphQLSelection[];
  line: number;
  column: number;
}

export type GraphQLSelection = { kind: 'field'; field: GraphQLField } | { kind: 'spread'; fragment: string } | { kind: 'inline'; selections: GraphQLSelection[] };

export interface GraphQLDocument {
  operation: 'query' | 'mutation';
  selections: GraphQLSelection[];
  fragments: Map<string, GraphQLSelection[]>;
}

export class GraphQLSyntaxError extends Error {}

interface Token {
  kind: 'punct' | 'name' | 'string' | 'number' | 'spread' | 'variable';
  value: string;
  line: number;
  column: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < source.length; ) {
    const char = source[i]!;
    const column = i - lineStart + 1;
    if (char === '\n') {
      line++;
      lineStart = ++i;
    } else if (/[\s,\r\t\uFEFF]/.test(char)) {
      i++;
    } else if (char === '#') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if ('{}():[]!=@|&'.includes(char)) {
      tokens.push({ kind: 'punct', value: char, line, column });
      i++;
    } else if (source.startsWith('...', i)) {
      tokens.push({ kind: 'spread', value: '...', line, column });
      i += 3;
    } else if (char === '$') {
      const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i + 1))?.[0];
      if (!name) throw new GraphQLSyntaxError(`Expected a variable name at ${line}:${column}`);
      tokens.push({ kind: 'variable', value: name, line, column });
      i += 1 + name.length;
    } else if (char === '"') {
      let end = i + 1;
      while (end < source.length && source[end] !== '"') end += source[end] === '\\' ? 2 : 1;
      if (end >= source.length) throw new GraphQLSyntaxError(`Unterminated string at ${line}:${column}`);
      tokens.push({ kind: 'string', value: JSON.parse(source.slice(i, end + 1)) as string, line, column });
      i = end + 1;
    } else if (/[-0-9]/.test(char)) {
      const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i))?.[0];
      if (!number) throw new GraphQLSyntaxError(`Unexpected character at ${line}:${column}`);
      tokens.push({ kind: 'number', value: number, line, column });
      i += number.length;
    } else {
      const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i))?.[0];
      if (!name) throw new GraphQLSyntaxError(`Unexpected character "${char}" at ${line}:${column}`);
      tokens.push({ kind: 'name', value: name, line, column });
      i += name.length;
    }
  }
  return tokens;
}

export function parseGraphQL(source: string): GraphQLDocument {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => {
    const token = tokens[position++];
    if (!token) throw new GraphQLSyntaxError('Unexpected end of document');
    return token;
  };
  const expect = (value: string) => {
    const token = next();
    if (token.value !== value) throw new GraphQLSyntaxError(`Expected "${value}", found "${token.value}" at ${token.line}:${token.column}`);
  };
  const at = (value: string) => peek()?.value === value && peek()?.kind !== 'string';

  const parseValue = (): GraphQLValue => {
    const token = next();
    if (token.kind === 'variable') return { variable: token.value };
    if (token.kind === 'string') return token.value;
    if (token.kind === 'number') return Number(token.value);
    if (token.value === '[') {
      const list: GraphQLValue[] = [];
      while (!at(']')) list.push(parseValue());
      expect(']');
      return list;
    }
    if (token.kind === 'name') return token.value === 'true' ? true : token.value === 'false' ? false : token.value === 'null' ? null : token.value;
    throw new GraphQLSyntaxError(`Unexpected "${token.value}" at ${token.line}:${token.column}`);
  };

  const parseSelections = (): GraphQLSelection[] => {
    expect('{');
    const selections: GraphQLSelection[] = [];
    while (!at('}')) {
      const token = next();
      if (token.kind === 'spread') {
        if (peek()?.value === 'on') {
          next();
          next();
          selections.push({ kind: 'inline', selections: parseSelections() });
        } else {
          selections.push({ kind: 'spread', fragment: next().value });
        }
        continue;
      }
      if (token.kind !== 'name') throw new GraphQLSyntaxError(`Expected a field at ${token.line}:${token.column}`);
      const alias = token.value;
      let name = token.value;
      if (at(':')) {
        next();
        name = next().value;
      }
      const args: Record<string, GraphQLValue> = {};
      if (at('(')) {
        next();
        while (!at(')')) {
          const argument = next().value;
          expect(':');
          args[argument] = parseValue();
        }
        expect(')');
      }
      const selectionsOfField = at('{') ? parseSelections() : [];
      selections.push({ kind: 'field', field: { alias, name, args, selections: selectionsOfField, line: token.line, column: token.column } });
    }
    expect('}');
    return selections;
  };

  let operation: GraphQLDocument['operation'] | undefined;
  let selections: GraphQLSelection[] | undefined;
  const fragments = new Map<string, GraphQLSelection[]>();
  while (peek()) {
    if (at('{')) {
      operation = 'query';
      selections = parseSelections();
      continue;
    }
    const keyword = next().value;
    if (keyword === 'fragment') {
      const fragmentName = next().value;
      expect('on');
      next();
      fragments.set(fragmentName, parseSelections());
    } else if (keyword === 'query' || keyword === 'mutation') {
      operation = keyword;
      if (peek()?.kind === 'name') next();
      if (at('(')) {
        // Variable definitions: their types are not checked here.
        let depth = 0;
        do {
          const token = next();
          if (token.value === '(') depth++;
          if (token.value === ')') depth--;
        } while (depth > 0);
      }
      selections = parseSelections();
    } else {
      throw new GraphQLSyntaxError(`Unexpected "${keyword}"`);
    }
  }
  if (!operation || !selections) throw new GraphQLSyntaxError('No operation in the document');
  return { operation, selections, fragments };
}

/** The fields a selection set asks for, fragments expanded. */
export function fieldsOf(selections: GraphQLSelection[], fragments: Map<string, GraphQLSelection[]>): GraphQLField[] {
  return selections.flatMap((selection) => {
    if (selection.kind === 'field') return [selection.field];
    if (selection.kind === 'inline') return fieldsOf(selection.selections, fragments);
    const fragment = fragments.get(selection.fragment);
    if (!fragment) throw new GraphQLSyntaxError(`Fragment ${selection.fragment} was used, but not defined`);
    return fieldsOf(fragment, fragments);
  });
}

export function resolveValue(value: GraphQLValue | undefined, variables: Record<string, unknown>): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return variables[value.variable];
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, variables));
  return value;
}

/** Fields that are connections on GitHub's schema (only the ones a card could ask for matter here). */
const CONNECTIONS = new Set(['repositoryTopics', 'languages', 'releases', 'issues', 'pullRequests', 'stargazers', 'forks', 'repositories', 'search']);

export interface QueryCost {
  /** What GitHub charges: max(1, round(requests / 100)). */
  points: number;
  /** The requests its connections need, as GitHub counts them. */
  requests: number;
  /** The nodes it may return, limited to 500,000. */
  nodes: number;
}

/** GitHub's documented arithmetic; throws on a connection without a valid first/last. */
export function costOf(document: GraphQLDocument, variables: Record<string, unknown>): QueryCost {
  let requests = 0;
  let nodes = 0;
  const walk = (selections: GraphQLSelection[], multiplicity: number) => {
    for (const field of fieldsOf(selections, document.fragments)) {
      let childMultiplicity = multiplicity;
      if (CONNECTIONS.has(field.name)) {
        const size = resolveValue(field.args.first ?? field.args.last, variables);
        if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 100) {
          throw new GraphQLSyntaxError(`You must provide a \`first\` or \`last\` value between 1 and 100 to properly paginate the \`${field.name}\` connection.`);
        }
        requests += multiplicity;
        childMultiplicity = multiplicity * size;
        nodes += childMultiplicity;
      }
      walk(field.selections, childMultiplicity);
    }
  };
  walk(document.selections, 1);
  return { points: Math.max(1, Math.round(requests / 100)), requests, nodes };
}
