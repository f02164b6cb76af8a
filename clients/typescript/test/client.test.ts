// Against a live `dopys serve` with the demo content (scripts/test-clients starts one and
// sets DOPYS_URL and DOPYS_KEY, a write key for the editor calls some tests make).
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { describe, test } from "node:test";

import {
  type ArticleListItem,
  DopysClient,
  DopysError,
  EtagCache,
  type Lang,
  type Removal,
  type SyncStore,
} from "../src/index.js";

const baseUrl = process.env.DOPYS_URL ?? "";
const key = process.env.DOPYS_KEY ?? "";
const ISW = "north-korea-to-send-engineering-troops-to-russian-occupied-ukraine-isw";

function client(options: { cache?: EtagCache | false } = {}): DopysClient {
  return new DopysClient({ baseUrl, ...options });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function editor(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return response.status === 204 ? undefined : response.json();
}

describe("feed", () => {
  test("iterates every public article across cursor pages, newest first", async () => {
    const items = await collect(client().feed({ limit: 2 }));
    const onePage = (await client().feedPage({ limit: 100 })).data;
    assert.deepEqual(
      items.map((item) => item.id),
      onePage.map((item) => item.id),
    );
    assert.ok(items.length >= 7);
    const dates = items.map((item) => item.published_at);
    assert.deepEqual(dates, [...dates].sort().reverse());
    // Always-present fields are typed as such: no `?` or `undefined` to narrow away.
    const first: ArticleListItem = items[0]!;
    const id: string = first.id;
    const title: string = first.title;
    // One of the site's languages, as the spec the types were generated from lists them.
    const lang: Lang = first.lang;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.ok(title.length > 0);
    assert.ok(["uk", "en"].includes(lang));
  });

  test("sends the language and filters, and projects with fields", async () => {
    const english = await collect(
      new DopysClient({ baseUrl, lang: "en" }).feed({ only_translated: true }),
    );
    assert.ok(english.length > 0);
    assert.ok(english.every((item) => item.lang === "en"));
    const news = await collect(client().feed({ tag: "news" }));
    assert.ok(news.every((item) => item.tags.some((tag) => tag.slug === "news")));
    const sparse = await collect(client().feed({ fields: ["id", "title"], limit: 3 }));
    assert.deepEqual(Object.keys(sparse[0]!).sort(), ["id", "title"]);
  });
});

describe("article", () => {
  test("reads one article by slug with its citations", async () => {
    const article = await client().article(ISW);
    assert.equal(article.slug, ISW);
    assert.equal(article.lang, "en");
    assert.deepEqual(
      article.citations.map((c) => [c.source.slug, c.via]),
      [
        ["isw", null],
        ["tv-chosun", 0],
        ["south-korean-government", 1],
      ],
    );
    // `body` is null only for a restricted article; the demo's is public.
    assert.equal(article.visibility, "public");
    assert.ok(article.body?.startsWith("<"));
  });

  test("a missing article is a DopysError carrying the problem", async () => {
    await assert.rejects(client().article("no-such-article"), (error: unknown) => {
      assert.ok(error instanceof DopysError);
      assert.equal(error.status, 404);
      assert.equal(error.problem?.type, "https://dopys.dev/problems/not-found");
      return true;
    });
  });
});

describe("related articles and pages", () => {
  test("related articles share tags or sources, never the article itself", async () => {
    const related = await client().related(ISW, { limit: 3, lang: "en" });
    assert.equal(related.data.length, 3);
    assert.ok(related.data.every((item) => item.slug !== ISW));
    assert.ok(related.data.every((item) => item.tags.some((tag) => tag.slug === "news")));
  });

  test("static pages are listed and read by slug, apart from the feed", async () => {
    const created = (await editor("POST", "/v1/editor/articles", {
      type: "page",
      original_lang: "uk",
      status: "published",
      translations: [
        { lang: "uk", title: "Про нас", body: "<p>Редакція.</p>" },
        { lang: "en", title: "About us", body: "<p>The newsroom.</p>" },
      ],
    })) as { id: string };
    try {
      const pages = await collect(client().pages({ lang: "en" }));
      assert.deepEqual(
        pages.map((page) => [page.id, page.title]),
        [[created.id, "About us"]],
      );
      const about = await client().page("pro-nas", { lang: "en-GB" });
      assert.deepEqual([about.id, about.lang, about.body], [created.id, "en", "<p>The newsroom.</p>"]);
      const feed = await collect(client().feed({ limit: 100 }));
      assert.ok(feed.every((item) => item.id !== created.id));
    } finally {
      await editor("DELETE", `/v1/editor/articles/${created.id}`);
    }
  });
});

describe("abort and timeout", () => {
  test("a request aborted by its signal rejects with the signal's reason", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client().feedPage({ signal: controller.signal }), { name: "AbortError" });
    const late = new AbortController();
    const pending = collect(client({ cache: false }).feed({ limit: 1, signal: late.signal }));
    late.abort(new Error("navigated away"));
    await assert.rejects(pending, { message: "navigated away" });
  });

  test("a server that never answers times out, per client or per request", async () => {
    // A real TCP peer that accepts the connection and sends nothing.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((ready) => silent.listen(0, "127.0.0.1", ready));
    const { port } = silent.address() as { port: number };
    try {
      const slow = new DopysClient({ baseUrl: `http://127.0.0.1:${port}`, timeout: 100 });
      const started = Date.now();
      await assert.rejects(slow.article(ISW), { name: "TimeoutError" });
      assert.ok(Date.now() - started < 5000);
      await assert.rejects(slow.tag("news", { timeout: 50 }), { name: "TimeoutError" });
      // A client's timeout applies to live servers too, and a prompt answer is unaffected.
      assert.equal((await client().article(ISW, { timeout: 10_000 })).slug, ISW);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((closed) => silent.close(closed));
    }
  });
});

describe("search, tags, sources, feeds", () => {
  test("search finds the ISW article by a word of its title", async () => {
    const results = await client().search("engineering", { lang: "en" });
    assert.deepEqual(
      results.data.map((hit) => hit.slug),
      [ISW],
    );
    assert.equal(results.data[0]!.rank, 2);
    const all = await collect(client().searchAll("engineering"));
    assert.equal(all.length, 1);
  });

  test("tags and sources page through every item, localized", async () => {
    const tags = await collect(client().tags({ lang: "en", limit: 1 }));
    assert.deepEqual(
      tags.map((tag) => [tag.slug, tag.name]),
      [["news", "News"]],
    );
    const sources = await collect(client().sources({ limit: 1 }));
    assert.deepEqual(sources.map((source) => source.slug).sort(), [
      "isw",
      "south-korean-government",
      "tv-chosun",
    ]);
    assert.equal((await client().source("isw", { lang: "uk" })).name, "Інститут вивчення війни");
    assert.equal((await client().tag("news", { lang: "uk" })).name, "Новини");
  });

  test("authors page through every byline, localized", async () => {
    const authors = await collect(client().authors({ lang: "en", limit: 1 }));
    assert.deepEqual(
      authors.map((author) => [author.slug, author.name]),
      [["editorial", "Dopys newsroom"]],
    );
    assert.equal((await client().author("editorial", { lang: "uk" })).name, "Редакція Dopys");
    const article = await client().article(ISW);
    assert.deepEqual(
      article.authors.map((author) => author.slug),
      ["editorial"],
    );
  });

  test("the JSON Feed links itself absolutely", async () => {
    const feed = await client().jsonFeed("en");
    assert.equal(feed.version, "https://jsonfeed.org/version/1.1");
    assert.equal(feed.feed_url, `${baseUrl}/v1/feeds/en.json`);
    assert.equal(client().feedUrl("uk", "atom", { tag: "news" }), `${baseUrl}/v1/feeds/uk/tags/news.atom`);
    const tagged = await client().jsonFeed("uk", { tag: "news" });
    assert.ok(tagged.items.length > 0);
  });
});

describe("ETag cache", () => {
  test("repeat reads are conditional GETs answered 304, with the same body", async () => {
    const cache = new EtagCache();
    const reader = client({ cache });
    const first = await reader.article(ISW);
    assert.equal(cache.revalidated, 0);
    const again = await reader.article(ISW);
    assert.equal(cache.revalidated, 1);
    assert.deepEqual(again, first);
    await collect(reader.feed({ limit: 3 }));
    await collect(reader.feed({ limit: 3 }));
    assert.ok(cache.revalidated >= 4, `revalidated ${cache.revalidated}`);
  });

  test("the cache is bounded and can be turned off", async () => {
    const small = new EtagCache(1);
    const reader = client({ cache: small });
    await reader.article(ISW);
    await reader.tag("news");
    assert.equal(small.size, 1);
    const uncached = client({ cache: false });
    assert.equal(uncached.cache, undefined);
    assert.equal((await uncached.article(ISW)).slug, ISW);
  });
});

class MemoryStore implements SyncStore {
  readonly items = new Map<string, ArticleListItem>();
  readonly removed: Removal[] = [];

  upsert(item: ArticleListItem): void {
    this.items.set(item.id, item);
  }

  remove(removal: Removal): void {
    this.items.delete(removal.id);
    this.removed.push(removal);
  }
}

describe("sync", () => {
  test("applies upserts, then tombstones, and returns the token to keep", async () => {
    const store = new MemoryStore();
    const reader = client();
    const token = await reader.sync(store, { limit: 2 });
    const everything = await collect(reader.feed({ limit: 100 }));
    assert.deepEqual(new Set(store.items.keys()), new Set(everything.map((item) => item.id)));
    const quiet = new MemoryStore();
    await reader.sync(quiet, { token }); // nothing changed since
    assert.deepEqual([quiet.items.size, quiet.removed.length], [0, 0]);

    const victim = everything.find((item) => item.slug !== ISW)!;
    await editor("POST", `/v1/editor/articles/${victim.id}/unpublish`);
    try {
      const later = await reader.sync(store, { token });
      assert.notEqual(later, token);
      assert.equal(store.items.has(victim.id), false);
      assert.deepEqual(
        store.removed.map((removal) => [removal.id, removal.reason]),
        [[victim.id, "unpublished"]],
      );
    } finally {
      await editor("POST", `/v1/editor/articles/${victim.id}/publish`, {
        published_at: victim.published_at,
      });
    }
    const again = new MemoryStore();
    await reader.sync(again, { token });
    assert.deepEqual([...again.items.keys()], [victim.id]); // published again: an upsert
    assert.deepEqual(again.removed, []);
  });
});
