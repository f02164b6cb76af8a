"""The seed page's content: the ISW article with its chain of sources and the six
"Свіжі дописи" (fresh posts) from its sidebar, as the editor write API would receive them.

The sidebar dates are those the page shows (Monday July 1st, 2024); the page gives no time
of day, so the times below keep the sidebar's order. The article's own date is not on the
page: it reports a TV Chosun story of June 21, so it is dated the day after.

The page's own article is its top story (`featured`), the sidebar's posts are not.

The page shows no image: the article's cover is a placeholder URL with the size and the
per-language alt text a front end needs (no caption or credit: the page shows none). Its
Ukrainian version is a translation of the page's English text.
"""

from app.articles.schemas import ArticleCreate
from app.taxonomy.schemas import AuthorCreate, SourceCreate, TagCreate

TAGS = [TagCreate(slug="news", names={"uk": "Новини", "en": "News"}, kind="section")]

# The page names no author and no editorial byline; the byline is the site's newsroom.
AUTHORS = [
    AuthorCreate(
        slug="editorial",
        names={"uk": "Редакція Dopys", "en": "Dopys newsroom"},
        bios={
            "uk": "Новини, які редакція готує з відкритих джерел.",
            "en": "News the newsroom prepares from open sources.",
        },
    )
]

SOURCES = [
    SourceCreate(
        slug="isw",
        names={"en": "Institute for the Study of War", "uk": "Інститут вивчення війни"},
        kind="think_tank",
        homepage_url="https://www.understandingwar.org/",
    ),
    SourceCreate(
        slug="tv-chosun",
        names={"en": "TV Chosun", "uk": "TV Chosun"},
        kind="broadcaster",
        homepage_url="https://news.tvchosun.com/",
    ),
    SourceCreate(
        slug="south-korean-government",
        names={"en": "South Korean government official", "uk": "Посадовець уряду Південної Кореї"},
        kind="government",
    ),
]

_ISW_BODY = """
<p>In July of this year, North Korea will already be sending military construction and engineering forces to take part in "restoration works" in the occupied Donetsk region.</p>
<p>The Institute for the Study of War (ISW) reports this, referring to the South Korean channel TV Chosun.</p>
<p>TV Chosun, citing a South Korean government official, reported on June 21 that South Korea expects North Korea to send a large-scale engineering force to the occupied Donetsk region as early as July.</p>
<p>These forces will allegedly help restore infrastructure in occupied Donetsk.</p>
<p>The North Korean military has 10 engineering brigades, and the Chosun TV channel estimated that North Korea could receive up to 115 million dollars from the Russian Federation every year if it sends three to four engineering brigades to occupied Ukraine.</p>
<p>ISW noted that Russia appears to be seeking to create a coalition of friendly states with historically warm ties to the Soviet Union, including North Korea and Vietnam, to form the basis of an alternative world order.</p>
<p>ISW has not yet seen reports that North Korean military personnel intend to engage in hostilities in Ukraine, but direct North Korean engineering support could free up Russian combat power for operations along the front line and contribute to Russian efforts to expand military infrastructure and defensive fortifications on the occupied territory of Ukraine.</p>
<h3>For reference:</h3>
<p>Russian dictator Vladimir Putin arrived in North Korea on June 19, local time. This was his first visit to the DPRK in 24 years.</p>
<p>The two leaders held a meeting at Kim Il Sung Square in Pyongyang. Kim Jong Un expressed his "full support" for Russia in its war against Ukraine. In turn, Putin expressed his admiration for "how Pyongyang has transformed over the past 24 years."</p>
<p>Subsequently, the Russian dictator and North Korean leader Kim Jong Un signed a comprehensive strategic partnership agreement. It provides for mutual military assistance in case of aggression against Pyongyang or Moscow.</p>
<p>Putin also paid a state visit to Vietnam. During the meeting, the Kremlin chief plans to adopt a joint statement and sign several bilateral documents.</p>
""".strip()


_ISW_BODY_UK = """
<p>Уже в липні цього року Північна Корея відправлятиме військово-будівельні та інженерні сили для участі у «відновлювальних роботах» на окупованій Донеччині.</p>
<p>Про це повідомляє Інститут вивчення війни (ISW) з посиланням на південнокорейський телеканал TV Chosun.</p>
<p>TV Chosun, посилаючись на посадовця уряду Південної Кореї, 21 червня повідомив, що Південна Корея очікує, що Північна Корея вже в липні відправить великий інженерний контингент на окуповану Донеччину.</p>
<p>Ці сили нібито допомагатимуть відновлювати інфраструктуру в окупованому Донецьку.</p>
<p>Армія Північної Кореї має 10 інженерних бригад, і телеканал Chosun TV підрахував, що Північна Корея може щороку отримувати від Російської Федерації до 115 мільйонів доларів, якщо відправить в окуповану Україну три-чотири інженерні бригади.</p>
<p>В ISW зазначили, що росія, схоже, прагне створити коаліцію дружніх держав з історично теплими зв’язками з Радянським Союзом, зокрема Північної Кореї та В’єтнаму, щоб закласти основу альтернативного світового порядку.</p>
<p>ISW поки не бачив повідомлень про те, що північнокорейські військові мають намір брати участь у бойових діях в Україні, але пряма інженерна підтримка з боку Північної Кореї може вивільнити російські бойові сили для операцій уздовж лінії фронту та сприяти російським зусиллям з розширення військової інфраструктури й оборонних укріплень на окупованій території України.</p>
<h3>Довідка:</h3>
<p>Російський диктатор Володимир Путін прибув до Північної Кореї 19 червня за місцевим часом. Це його перший візит до КНДР за 24 роки.</p>
<p>Лідери двох країн провели зустріч на площі Кім Ір Сена в Пхеньяні. Кім Чен Ин висловив «повну підтримку» росії у її війні проти України. Путін, своєю чергою, висловив захоплення тим, «як змінився Пхеньян за останні 24 роки».</p>
<p>Згодом російський диктатор і лідер Північної Кореї Кім Чен Ин підписали угоду про всеосяжне стратегічне партнерство. Вона передбачає взаємну військову допомогу в разі агресії проти Пхеньяна чи Москви.</p>
<p>Також Путін здійснив державний візит до В’єтнаму. Під час зустрічі очільник Кремля планує ухвалити спільну заяву та підписати низку двосторонніх документів.</p>
""".strip()

# A placeholder: the seed page shows no image (see the module docstring).
ISW_COVER = {
    "url": "https://images.example.org/dopys-demo/putin-kim-pyongyang-2024-06-19.jpg",
    "width": 1200,
    "height": 675,
}


def _post(external_id: str, lang: str, when: str, title: str, excerpt: str) -> ArticleCreate:
    return ArticleCreate.model_validate(
        {
            "external_id": external_id,
            "original_lang": lang,
            "status": "published",
            "published_at": when,
            "tags": ["news"],
            "translations": [
                {"lang": lang, "title": title, "excerpt": excerpt, "body": f"<p>{excerpt}</p>"}
            ],
        }
    )


ARTICLES = [
    ArticleCreate.model_validate(
        {
            "external_id": "seed-isw-north-korea-engineers",
            "original_lang": "en",
            "status": "published",
            "published_at": "2024-06-22T09:00:00+03:00",
            "cover_image": ISW_COVER,
            "featured": True,
            "tags": ["news"],
            "authors": ["editorial"],
            "citations": [
                {"source": "isw", "url": "https://www.understandingwar.org/"},
                {"source": "tv-chosun", "via": 0},
                {"source": "south-korean-government", "via": 1},
            ],
            "translations": [
                {
                    "lang": "en",
                    "title": "North Korea to send engineering troops to Russian-occupied Ukraine – ISW",
                    "excerpt": "In July of this year, North Korea will already be sending military "
                    'construction and engineering forces to take part in "restoration works" '
                    "in the occupied Donetsk region.",
                    "body": _ISW_BODY,
                    "cover_alt": "Vladimir Putin and Kim Jong Un in Pyongyang on June 19, 2024",
                },
                {
                    "lang": "uk",
                    "title": "КНДР відправить інженерні війська на окуповані росією території "
                    "України – ISW",
                    "excerpt": "Уже в липні цього року Північна Корея відправлятиме "
                    "військово-будівельні та інженерні сили для участі у «відновлювальних "
                    "роботах» на окупованій Донеччині.",
                    "body": _ISW_BODY_UK,
                    "cover_alt": "Володимир Путін і Кім Чен Ин у Пхеньяні 19 червня 2024 року",
                },
            ],
        }
    ),
    _post(
        "seed-ukrzaliznytsia-record",
        "uk",
        "2024-07-01T09:00:00+03:00",
        "В останній день червня Укрзалізниця встановила рекорд: перевезено 100 000 пасажирів за добу",
        "Укрзалізниця перевезла впродовж червня 2,5 млн пасажирів, що на 18% більше, ніж минулого "
        "червня. У неділю,…",
    ),
    _post(
        "seed-navy-crimea-tourists",
        "uk",
        "2024-07-01T10:00:00+03:00",
        "У ВМС України закликають російських туристів залишити Крим: там багато військових "
        "об’єктів, яким “ніхто не дасть спокою”",
        "Речник Військово-морських сил України капітан 3 рангу Дмитро Плетенчук закликав "
        "російських туристів залишити Крим та…",
    ),
    _post(
        "seed-russia-bans-canadians",
        "uk",
        "2024-07-01T11:00:00+03:00",
        "рф заборонила в’їзд 99 громадянам Канади: через антиросійські санкції уряду Трюдо",
        "Росія заборонила в'їзд 99 громадянам Канади у відповідь на \"чергові хвилі "
        'антиросійських санкцій" уряду Джастіна Трюдо. Про…',
    ),
    _post(
        "seed-democrats-f16-pilots",
        "en",
        "2024-07-01T12:00:00+03:00",
        "Democrats call on Pentagon to train more Ukrainian pilots on F-16 fighters",
        "A group of Democrats in the US House of Representatives called on the Pentagon to…",
    ),
    _post(
        "seed-czech-ammunition",
        "en",
        "2024-07-01T13:00:00+03:00",
        "Czech Republic is ready to search for ammunition for Ukraine",
        "The Czech Republic fully complies with its promises as part of its initiative to provide…",
    ),
    _post(
        "seed-askania-nova-animals",
        "uk",
        "2024-07-01T14:00:00+03:00",
        "Окупанти планують вивезти із заповідника “Асканія-Нова” ще одну партію тварин",
        'Росіяни планують вивезти з окупованого заповідника "Асканії-Нова" до Криму ще одну '
        "партію тварин. Викрадення фауни…",
    ),
]
