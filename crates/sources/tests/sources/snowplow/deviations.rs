//! Domains of Snowplow's database we classify otherwise, with the reason: a key is a
//! domain, or `medium/Platform` for every domain of a platform that differs as a whole.

/// Search boxes of portals, toolbars and browser start pages that show another
/// engine's results: GA4 knows none of them as a search source, so Referral.
const SYNDICATED: &str = "a portal, toolbar or start page showing another engine's results, not a search \
     source GA4 knows: Referral";
/// Hosts that no longer serve, or never served, what their entry says.
const UNCONFIRMED: &str = "a host no independent source confirms for this platform (obsolete or misspelled): \
     Referral";
const JOB_BOARD: &str = "job board, not a web search engine: Referral, as in GA4";
const MARKETPLACE: &str = "marketplace or price comparison: Organic Shopping (GA4's shopping \
                           category), Paid Shopping with a paid medium";
const LISTING: &str = "a paid placement on this site is not visible in the referrer: Referral";
const VIDEO: &str = "video platform: GA4's Organic Video, which Snowplow's social covers";

pub const DEVIATIONS: &[(&str, &str)] = &[
    // The one GA4 label differs from their medium on purpose.
    ("search/Google Product Search", MARKETPLACE),
    ("search/Amazon", MARKETPLACE),
    ("search/PriceRunner", MARKETPLACE),
    ("paid/Price.ru", MARKETPLACE),
    ("paid/Torg.Mail.ru", MARKETPLACE),
    ("paid/Yandex.Market", MARKETPLACE),
    ("social/Youtube", VIDEO),
    ("social/Vimeo", VIDEO),
    (
        "search/Digg",
        "digg.com is in GA4's social category: Organic Social",
    ),
    // Not the kind of platform their medium says.
    ("search/Indeed", JOB_BOARD),
    ("search/Monster", JOB_BOARD),
    ("search/StepStone", JOB_BOARD),
    ("search/kununu", "employer review site: Referral, as in GA4"),
    (
        "search/Marktplaats",
        "classifieds marketplace: Referral, as in GA4",
    ),
    ("paid/LowerMyBills", LISTING),
    ("paid/Mozo", LISTING),
    ("paid/White Pages", LISTING),
    (
        "mail.ru",
        "Mail.ru's portal (news, mail, games): its search results come from go.mail.ru, \
         which is Organic Search here",
    ),
    (
        "m.mail.ru",
        "Mail.ru's mobile portal: its search results come from go.mail.ru",
    ),
    (
        "com.aol.mobile.aolapp",
        "the AOL app is a portal (news, search, mail): no one channel",
    ),
    // Sign-in hosts never start a touch.
    (
        "accounts.google.com",
        "sign-in host: a built-in referral exclusion, Internal",
    ),
    (
        "login.live.com",
        "sign-in host: a built-in referral exclusion, Internal",
    ),
    // Another engine's results on someone else's site.
    ("www.cnn.com", SYNDICATED),
    ("darkoogle.com", SYNDICATED),
    ("search.darkoogle.com", SYNDICATED),
    ("search.foxtab.com", SYNDICATED),
    ("www.gooofullsearch.com", SYNDICATED),
    ("search.hiyo.com", SYNDICATED),
    ("search.incredibar.com", SYNDICATED),
    ("search.sweetim.com", SYNDICATED),
    ("www.fastweb.it", SYNDICATED),
    ("find.tdc.dk", SYNDICATED),
    ("search.alot.com", SYNDICATED),
    ("www.cercato.it", SYNDICATED),
    ("search.offerbox.com", SYNDICATED),
    ("ys.mirostart.com", SYNDICATED),
    ("start.facemoods.com", SYNDICATED),
    ("search.magnetic.com", SYNDICATED),
    ("search.searchcompletion.com", SYNDICATED),
    ("googlesyndicatedsearch.com", UNCONFIRMED),
    ("www.googleearth.de", UNCONFIRMED),
    ("www.googleearth.fr", UNCONFIRMED),
    // Misspelled, invalid or unconfirmed hosts.
    (
        "serach.comcast.net",
        "misspelled host; we know search.comcast.net",
    ),
    (
        "www.trusted--search.com",
        "misspelled host; we know trusted-search.com",
    ),
    (
        "serach.centrum.cz",
        "misspelled host; we know search.centrum.cz",
    ),
    ("abcsolk.no", "misspelled host; we know abcsok.no"),
    (
        "req.-hit-parade.com",
        "not a valid host name (a label starts with '-')",
    ),
    ("www.sougou.com", "not a Sogou domain; we know sogou.com"),
    (
        "Sozluk.com",
        "not Ekşi Sözlük's domain; we know eksisozluk.com",
    ),
    (
        "ulusozluk.com",
        "not Uludağ Sözlük's domain; we know uludagsozluk.com",
    ),
    ("inci.sozlukspot.com", UNCONFIRMED),
    ("incisozluk.cc", UNCONFIRMED),
    ("www1.astronaut.at", UNCONFIRMED),
    ("clusty.com", UNCONFIRMED),
    ("search.orange.co.uk", UNCONFIRMED),
    ("search-dyn.tiscali.it", UNCONFIRMED),
    ("www.aolrecherches.aol.fr", UNCONFIRMED),
    ("www.aolimages.aol.fr", UNCONFIRMED),
    ("recherche.aol.ca", UNCONFIRMED),
    ("suche.aolsvc.de", UNCONFIRMED),
    ("alicesuche.aol.de", UNCONFIRMED),
    ("alicesuchet.aol.de", UNCONFIRMED),
    ("suchet2.aol.de", UNCONFIRMED),
    ("search.hp.my.aol.com.au", UNCONFIRMED),
    ("search.hp.my.aol.de", UNCONFIRMED),
    ("search.hp.my.aol.it", UNCONFIRMED),
    ("basic.messaging.bigpond.com", UNCONFIRMED),
    ("org.aka.messenger", UNCONFIRMED),
    ("rtbcity.com", UNCONFIRMED),
    ("plusperformance.com", UNCONFIRMED),
];
