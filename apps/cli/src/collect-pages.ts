/** One page of a List RPC, reduced to what paging needs. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string;
}

/** What {@link collectPages} gathered. */
export interface CollectedPages<T> {
  readonly items: T[];
  /** The token to continue from; empty when everything was read. */
  readonly nextPageToken: string;
}

/** The most a List RPC returns per page. */
const maxPageSize = 200;

/**
 * Reads pages of a List RPC until `limit` items are in hand or there are no more, asking for
 * no more than it still needs.
 */
export async function collectPages<T>(
  limit: number,
  fetchPage: (pageSize: number, pageToken: string) => Promise<Page<T>>,
): Promise<CollectedPages<T>> {
  const items: T[] = [];
  let pageToken = "";
  do {
    const page = await fetchPage(Math.min(maxPageSize, limit - items.length), pageToken);
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && items.length < limit);
  return { items: items.slice(0, limit), nextPageToken: pageToken };
}
