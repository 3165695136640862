/** Integration tests read NEO4J_URI and fail loudly without it (never skip). */
export function neo4jUri(): string {
  const uri = process.env['NEO4J_URI'];
  if (!uri) {
    throw new Error(
      'NEO4J_URI is not set: start Neo4j (bin/fraud infra up neo4j) and export NEO4J_URI=bolt://127.0.0.1:7687',
    );
  }
  return uri;
}

/** A prefix unique to this run, so tests sharing one Neo4j never see each other's ids. */
export function runPrefix(name: string): string {
  return `${name}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}_`;
}
