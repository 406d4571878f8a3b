//! Ad servers and ISP webmail that real referrers carry and our data had missed.

use sma_sources::{Channel, Config, detect};

fn channel(referrer: &str) -> Channel {
    detect(
        Some("https://www.example.com/"),
        Some(referrer),
        &Config::default(),
    )
    .channel
}

#[test]
fn ad_servers_are_display() {
    for referrer in [
        "https://yabs.yandex.ru/count/x",
        "https://yabs.yandex.ua/count/x",
        "https://yabs.yandex.com/count/x",
        "https://yabs.yandex.by/count/x",
        "https://yabs.yandex.com.tr/count/x",
        "https://ox-d.servedbyopenx.com/w/1.0/rc",
        "https://acme-d.openxenterprise.com/w/1.0/rc",
        "https://u.openx.net/w/1.0/cm",
        "https://imasdk.googleapis.com/js/core/bridge3.html",
        "https://oascentral.247realmedia.com/RealMedia/ads/click_lx.ads",
    ] {
        assert_eq!(channel(referrer), Channel::Display, "{referrer}");
    }
    // Yandex search itself stays search.
    assert_eq!(
        channel("https://yandex.ua/search/?text=x"),
        Channel::OrganicSearch
    );
}

#[test]
fn isp_webmail_is_email() {
    for referrer in [
        "https://email.telstra.com/webmail/",
        "https://webmail2.bigpond.com/webmail/",
        "https://mail.iinet.net.au/",
        "https://webmail.optusnet.com.au/",
        "https://webmail.vodafone.co.nz/",
        "https://www.orange.fr/webmail/inbox",
    ] {
        assert_eq!(channel(referrer), Channel::Email, "{referrer}");
    }
    // The rest of orange.fr is the portal, not its webmail.
    assert_eq!(channel("https://www.orange.fr/portail"), Channel::Referral);
}

#[test]
fn reader_apps_are_their_network() {
    for (referrer, want) in [
        ("android-app://com.laurencedawson.reddit_sync.pro", "reddit"),
        ("android-app://io.syncapps.lemmy_sync", "lemmy"),
        (
            "android-app://io.github.hidroh.materialistic",
            "hacker news",
        ),
        ("android-app://com.talklittle.android.tildes", "tildes"),
        ("android-app://org.telegram.plus", "telegram"),
        ("https://disq.us/url?url=x", "disqus"),
    ] {
        let s = detect(None, Some(referrer), &Config::default());
        assert_eq!(
            (s.channel, s.source.as_deref()),
            (Channel::OrganicSocial, Some(want)),
            "{referrer}"
        );
    }
}
