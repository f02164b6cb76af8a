/**
 * @dopys/client: a typed client for the Dopys content API on plain `fetch`.
 *
 * Types come from `schema.ts`, generated from openapi/openapi.json (`npm run generate`);
 * this file is the hand-written layer: paging as async iterators, delta sync into a store
 * of the caller's, and an ETag cache that turns repeat reads into conditional GETs.
 */
import type { components, operations } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

type Schemas = components["schemas"];
export type ArticleListItem = Schemas["ArticleListItem"];
export type ArticleRead = Schemas["ArticleRead"];
export type SearchHit = Schemas["SearchHit"];
export type SearchResults = Schemas["SearchResults"];
export type FeedPage = Schemas["FeedPage"];
export type RelatedPage = Schemas["RelatedPage"];
export type Tag = Schemas["TagRead"];
export type Source = Schemas["SourceRead"];
export type Author = Schemas["AuthorRead"];
export type SyncPage = Schemas["SyncPage"];
export type Removal = Schemas["Removal"];
export type JsonFeed = Schemas["JsonFeed"];
export type Problem = Schemas["Problem"];
/**
 * One of the site's languages: the `enum` of the spec these types were generated from
 * (`SITE_LANGUAGES` of the server that wrote it; regenerate from your server's
 * `/openapi.json` for its languages, see the README).
 */
export type Lang = ArticleListItem["lang"];
/**
 * A language to ask for: one of the site's, or any BCP 47 tag the server looks up among
 * them (`uk-UA`, what `navigator.language` gives, means `uk`).
 */
export type LangTag = Lang | (string & {});
/** A field `fields=` can name (`body` and `structured_data` come with `include`). */
export type ItemField = Exclude<keyof ArticleListItem, "body" | "structured_data">;

type Query<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;
/** Filters of the feed: tag, source, only_translated, limit, newer_than, include... */
export type FeedParams = Omit<Query<"articles-list_articles">, "cursor" | "fields">;
export type SearchParams = Omit<Query<"search-search_articles">, "q" | "fields">;
export type SyncParams = Omit<Query<"sync-sync">, "token" | "fields">;
export type ListParams = Omit<Query<"tags-list_tags">, "cursor">;
export type PagesParams = Omit<Query<"pages-list_pages">, "cursor" | "fields">;
export type RelatedParams = Omit<Query<"articles-related_articles">, "fields">;
export type FeedFormat = "rss" | "atom" | "json";

/** A non-2xx answer: the RFC 9457 problem the API sent, when it sent one. */
export class DopysError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, url: string) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status} from ${url}`);
    this.name = "DopysError";
    this.status = status;
    this.problem = problem;
  }
}

interface Cached {
  etag: string;
  body: unknown;
}

/**
 * Remembers the last body and ETag of each GET (by URL and language), so that asking again
 * sends `If-None-Match` and a `304` costs no body. Least recently used entries go first.
 */
export class EtagCache {
  private readonly entries = new Map<string, Cached>();
  /** Conditional requests the server answered 304 (for tests and metrics). */
  revalidated = 0;

  constructor(readonly maxEntries = 500) {}

  get(key: string): Cached | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: Cached): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Where `sync()` puts what changed: upserts by `id`, tombstones to drop. */
export interface SyncStore<Item = ArticleListItem> {
  upsert(item: Item): void | Promise<void>;
  remove(removal: Removal): void | Promise<void>;
}

export interface ClientOptions {
  /** Where the API is, e.g. `https://api.example.com` (no trailing `/v1`). */
  baseUrl: string;
  /** Language for every call that does not name one (sent as `lang=`). */
  lang?: LangTag;
  /** An API key, for deployments that need one on reads (never needed by public reads). */
  apiKey?: string;
  /** `false` turns the ETag cache off; default: a new EtagCache. */
  cache?: EtagCache | false;
  /** Milliseconds each request may take before it is aborted (`TimeoutError`); default none. */
  timeout?: number;
  fetch?: typeof fetch;
}

/** Per call: abort it, or give up after a time. Every method takes these too. */
export type RequestOptions = {
  /** Aborts the request (and, for iterators, the page being fetched). */
  signal?: AbortSignal;
  /** Milliseconds before the request is aborted with a `TimeoutError`; overrides the client's. */
  timeout?: number;
};

type Value = string | number | boolean | null | undefined;
type Params = Record<string, Value>;
/** A method's query parameters with its RequestOptions. */
type Call = Record<string, Value | AbortSignal>;

export class DopysClient {
  readonly cache: EtagCache | undefined;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.cache = options.cache === false ? undefined : (options.cache ?? new EtagCache());
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Every item of the fresh-posts feed, newest first, following cursors page by page. */
  feed(params?: FeedParams & RequestOptions): AsyncGenerator<ArticleListItem>;
  /** The feed projected to `fields` (answered as the sparse media type). */
  feed<K extends ItemField>(
    params: FeedParams & RequestOptions & { fields: readonly K[] },
  ): AsyncGenerator<Pick<ArticleListItem, K> & Partial<Pick<ArticleListItem, "body">>>;
  async *feed(
    params: FeedParams & RequestOptions & { fields?: readonly ItemField[] } = {},
  ): AsyncGenerator<Partial<ArticleListItem>> {
    const { fields, ...rest } = params;
    for await (const page of this.paged<FeedPage>("/v1/articles", {
      ...rest,
      fields: fields?.join(","),
    })) {
      yield* page.data;
    }
  }

  /** One page of the feed (for UIs that page by hand); `cursor` from `meta.next_cursor`. */
  feedPage(params: FeedParams & RequestOptions & { cursor?: string } = {}): Promise<FeedPage> {
    return this.get<FeedPage>("/v1/articles", params);
  }

  /** One public article by the slug of any of its translations. */
  article(slug: string, options: { lang?: LangTag } & RequestOptions = {}): Promise<ArticleRead> {
    return this.get<ArticleRead>(`/v1/articles/${encodeURIComponent(slug)}`, options);
  }

  /** Articles related to one (by any of its slugs): most shared tags and sources first. */
  related(slug: string, params: RelatedParams & RequestOptions = {}): Promise<RelatedPage> {
    return this.get<RelatedPage>(`/v1/articles/${encodeURIComponent(slug)}/related`, params);
  }

  /** Every static page ("Про нас", "Контакти"), localized, following cursors. */
  async *pages(params: PagesParams & RequestOptions = {}): AsyncGenerator<ArticleListItem> {
    for await (const page of this.paged<FeedPage>("/v1/pages", params)) {
      yield* page.data;
    }
  }

  /** One static page by the slug of any of its translations. */
  page(slug: string, options: { lang?: LangTag } & RequestOptions = {}): Promise<ArticleRead> {
    return this.get<ArticleRead>(`/v1/pages/${encodeURIComponent(slug)}`, options);
  }

  /** One page of search results, best first; `cursor` from `meta.next_cursor`. */
  search(
    q: string,
    params: SearchParams & RequestOptions & { cursor?: string } = {},
  ): Promise<SearchResults> {
    return this.get<SearchResults>("/v1/search", { ...params, q });
  }

  /** Every search hit, following cursors. */
  async *searchAll(
    q: string,
    params: SearchParams & RequestOptions = {},
  ): AsyncGenerator<SearchHit> {
    for await (const page of this.paged<SearchResults>("/v1/search", { ...params, q })) {
      yield* page.data;
    }
  }

  /** Every tag (section), localized, following cursors. */
  async *tags(params: ListParams & RequestOptions = {}): AsyncGenerator<Tag> {
    for await (const page of this.paged<{ data: Tag[] } & Paged>("/v1/tags", params)) {
      yield* page.data;
    }
  }

  tag(slug: string, options: { lang?: LangTag } & RequestOptions = {}): Promise<Tag> {
    return this.get<Tag>(`/v1/tags/${encodeURIComponent(slug)}`, options);
  }

  /** Every source, localized, following cursors. */
  async *sources(params: ListParams & RequestOptions = {}): AsyncGenerator<Source> {
    for await (const page of this.paged<{ data: Source[] } & Paged>("/v1/sources", params)) {
      yield* page.data;
    }
  }

  source(slug: string, options: { lang?: LangTag } & RequestOptions = {}): Promise<Source> {
    return this.get<Source>(`/v1/sources/${encodeURIComponent(slug)}`, options);
  }

  /** Every author (byline), localized, following cursors. */
  async *authors(params: ListParams & RequestOptions = {}): AsyncGenerator<Author> {
    for await (const page of this.paged<{ data: Author[] } & Paged>("/v1/authors", params)) {
      yield* page.data;
    }
  }

  author(slug: string, options: { lang?: LangTag } & RequestOptions = {}): Promise<Author> {
    return this.get<Author>(`/v1/authors/${encodeURIComponent(slug)}`, options);
  }

  /**
   * Brings `store` up to date: applies every upsert and tombstone since `token` (everything
   * public when there is none), page after page while `meta.has_more`, and returns the token
   * to keep for next time. Applying an item twice is safe, so a sync cut short can be rerun
   * from the same token.
   */
  async sync(
    store: SyncStore,
    options: SyncParams & RequestOptions & { token?: string } = {},
  ): Promise<string> {
    const { token, ...params } = options;
    let next = token;
    for (;;) {
      // Sync pages are never served from the ETag cache: each token is read once.
      const page = await this.get<SyncPage>("/v1/sync", { ...params, token: next }, false);
      for (const item of page.data) await store.upsert(item);
      for (const removal of page.deleted) await store.remove(removal);
      next = page.meta.next_sync_token;
      if (!page.meta.has_more) return next;
    }
  }

  /** The JSON Feed 1.1 of a language, or of one tag's or source's articles. */
  jsonFeed(
    lang: Lang,
    of?: { tag?: string; source?: string; author?: string },
    options: RequestOptions = {},
  ): Promise<JsonFeed> {
    return this.get<JsonFeed>(this.feedPath(lang, "json", of), options);
  }

  /** The absolute URL of a syndication feed (for `<link rel="alternate">`). */
  feedUrl(
    lang: Lang,
    format: FeedFormat,
    of?: { tag?: string; source?: string; author?: string },
  ): string {
    return this.baseUrl + this.feedPath(lang, format, of);
  }

  private feedPath(
    lang: Lang,
    format: FeedFormat,
    of?: { tag?: string; source?: string; author?: string },
  ) {
    const path = of?.tag
      ? `/tags/${encodeURIComponent(of.tag)}`
      : of?.source
        ? `/sources/${encodeURIComponent(of.source)}`
        : of?.author
          ? `/authors/${encodeURIComponent(of.author)}`
          : "";
    return `/v1/feeds/${lang}${path}.${format}`;
  }

  private async *paged<P extends Paged>(path: string, params: Call): AsyncGenerator<P> {
    let cursor: string | undefined;
    do {
      const page: P = await this.get<P>(path, { ...params, cursor });
      yield page;
      cursor = page.meta.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  private url(path: string, params: Params): string {
    const url = new URL(this.baseUrl + path);
    const lang = params.lang ?? this.options.lang;
    for (const [name, value] of Object.entries({ ...params, lang })) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  private async get<T>(path: string, call: Call, cacheable = true): Promise<T> {
    const { signal, timeout, ...params } = call;
    const url = this.url(path, params as Params);
    const cache = cacheable ? this.cache : undefined;
    const cached = cache?.get(url);
    const headers: Record<string, string> = { Accept: "application/json, application/*+json" };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    if (cached) headers["If-None-Match"] = cached.etag;
    const abort = new Abort(
      signal as AbortSignal | undefined,
      (timeout as number | undefined) ?? this.options.timeout,
    );
    try {
      const response = await this.fetchImpl(url, { headers, signal: abort.signal });
      if (response.status === 304 && cached && cache) {
        cache.revalidated += 1;
        return cached.body as T;
      }
      if (!response.ok) throw new DopysError(response.status, await problemOf(response), url);
      // Read under the same signal: a body that stalls times out as headers do.
      const body = (await response.json()) as T;
      const etag = response.headers.get("etag");
      if (cache && etag) cache.set(url, { etag, body });
      return body;
    } finally {
      abort.done();
    }
  }
}

/** The caller's signal and a timeout as one signal (AbortSignal.any needs Node 20.3+). */
class Abort {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly forward = () => this.controller.abort(this.caller?.reason);

  constructor(
    private readonly caller: AbortSignal | undefined,
    timeout: number | undefined,
  ) {
    if (caller?.aborted) this.forward();
    else caller?.addEventListener("abort", this.forward, { once: true });
    if (timeout !== undefined) {
      this.timer = setTimeout(() => {
        const reason = new DOMException(`No answer within ${timeout} ms`, "TimeoutError");
        this.controller.abort(reason);
      }, timeout);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  done(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener("abort", this.forward);
  }
}

interface Paged {
  meta: { next_cursor?: string | null };
}

async function problemOf(response: Response): Promise<Problem | undefined> {
  if (!response.headers.get("content-type")?.includes("json")) return undefined;
  try {
    return (await response.json()) as Problem;
  } catch {
    return undefined;
  }
}
