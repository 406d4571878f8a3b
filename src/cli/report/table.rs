//! Reports as text tables and CSV: the channel report in its own columns
//! (a data-driven share with its interval), the others as plain tables.

use std::io::Write;

use sma_app::{
    ChannelReport, CompareView, Costs, FunnelRow, FunnelView, PathsView, ReportView, SeriesView,
};

use super::Report;

/// One table of a report: a title, a header, and rows of cells.
pub(super) struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// A cell, shown rounded in text and exact in CSV.
enum Cell {
    Text(String),
    Number(f64),
    Count(i64),
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(x) => format!("{x:.2}"),
            Cell::Count(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(t) if t.contains([',', '"', '\n']) => {
                format!("\"{}\"", t.replace('"', "\"\""))
            }
            Cell::Text(t) => t.clone(),
            Cell::Number(x) => x.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

fn opt(x: Option<f64>) -> Cell {
    x.map_or(Cell::Empty, Cell::Number)
}

impl Table {
    fn new<H: ToString>(title: impl Into<String>, header: &[H]) -> Table {
        Table {
            title: title.into(),
            header: header.iter().map(ToString::to_string).collect(),
            rows: Vec::new(),
        }
    }

    /// Columns padded to their widest cell: the first left-aligned, the rest right.
    pub(super) fn text(&self, out: &mut impl Write) -> std::io::Result<()> {
        let rows: Vec<Vec<String>> = std::iter::once(self.header.clone())
            .chain(self.rows.iter().map(|r| r.iter().map(Cell::text).collect()))
            .collect();
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        writeln!(out, "{}", self.title)?;
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &w))| {
                    if i == 0 {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect();
            writeln!(out, "{}", cells.join("  ").trim_end())?;
        }
        writeln!(out)
    }

    /// The header and the rows; several tables are separated by a blank line.
    pub(super) fn csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "{}", self.header.join(","))?;
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::csv).collect();
            writeln!(out, "{}", cells.join(","))?;
        }
        writeln!(out)
    }
}

/// The period as titles show it.
fn period(from: &Option<String>, to: &Option<String>) -> String {
    match (from, to) {
        (None, None) => "all time".to_owned(),
        (from, to) => format!(
            "{} .. {}",
            from.as_deref().unwrap_or("start"),
            to.as_deref().unwrap_or("now")
        ),
    }
}

pub(super) fn tables(report: &Report) -> Vec<Table> {
    match report {
        Report::Channels(_) => Vec::new(),
        Report::Compare(view) => vec![compare(view)],
        Report::Paths(view) => paths(view),
        Report::Funnel(view) => funnel(view),
        Report::Series(view) => vec![series(view)],
    }
}

fn compare(view: &CompareView) -> Table {
    let mut header = vec!["channel".to_owned()];
    for model in &view.models {
        header.extend([
            format!("{model} conv"),
            format!("{model} value"),
            format!("{model} %"),
        ]);
    }
    let mut table = Table::new(
        format!(
            "models against {}, {}",
            view.baseline,
            period(&view.from, &view.to)
        ),
        &header,
    );
    for row in &view.channels {
        let mut cells = vec![Cell::Text(row.channel.as_str().to_owned())];
        for model in &view.models {
            let f = row.models.get(model).copied().unwrap_or_default();
            cells.extend([
                Cell::Number(f.conversions),
                Cell::Number(f.value),
                opt(f.change),
            ]);
        }
        table.rows.push(cells);
    }
    table
}

fn paths(view: &PathsView) -> Vec<Table> {
    let (what, count) = if view.converted {
        ("conversion paths", "conversions")
    } else {
        ("paths not converted", "journeys")
    };
    let mut top = Table::new(
        format!("{what}, {}", period(&view.from, &view.to)),
        &["path", count, "value", "touches", "days to convert"],
    );
    for row in &view.paths {
        top.rows.push(vec![
            Cell::Text(row.path.join(" > ")),
            Cell::Count(row.conversions.or(row.journeys).unwrap_or(0)),
            opt(row.value),
            Cell::Count(row.touches as i64),
            opt(row.days_to_convert),
        ]);
    }
    let mut buckets = Table::new(
        "touches by place on the path",
        &["channel", "early", "mid", "late"],
    );
    for b in &view.buckets {
        buckets.rows.push(vec![
            Cell::Text(b.channel.clone()),
            Cell::Count(b.early),
            Cell::Count(b.mid),
            Cell::Count(b.late),
        ]);
    }
    vec![top, buckets]
}

fn funnel(view: &FunnelView) -> Vec<Table> {
    let stages = |title: &str, rows: &[FunnelRow]| {
        let mut table = Table::new(
            format!("{title}, {}", period(&view.from, &view.to)),
            &[
                "channel",
                "visit",
                "lead",
                "opportunity",
                "conversion",
                "lead rate",
                "opportunity rate",
                "conversion rate",
            ],
        );
        for r in rows {
            table.rows.push(vec![
                Cell::Text(r.channel.clone()),
                Cell::Count(r.visit),
                Cell::Count(r.lead),
                Cell::Count(r.opportunity),
                Cell::Count(r.conversion),
                opt(r.rates.lead),
                opt(r.rates.opportunity),
                opt(r.rates.conversion),
            ]);
        }
        table
    };
    let mut assisted = Table::new(
        "assisted conversions",
        &[
            "channel",
            "assisted",
            "assisted value",
            "last touch",
            "ratio",
        ],
    );
    for a in &view.assisted {
        assisted.rows.push(vec![
            Cell::Text(a.channel.clone()),
            Cell::Count(a.assisted),
            Cell::Number(a.assisted_value),
            Cell::Count(a.last_touch),
            opt(a.ratio),
        ]);
    }
    vec![
        stages("funnel by first touch", &view.first_touch),
        stages("funnel by last touch", &view.last_touch),
        assisted,
    ]
}

fn series(view: &SeriesView) -> Table {
    let mut table = Table::new(
        format!(
            "model {} per {}, {}",
            view.model,
            view.interval,
            period(&view.from, &view.to)
        ),
        &["period", "channel", "conversions", "value"],
    );
    for p in &view.series {
        table.rows.push(vec![
            Cell::Text(p.period.to_string()),
            Cell::Text(p.channel.clone()),
            Cell::Number(p.conversions),
            Cell::Number(p.value),
        ]);
    }
    table
}

/// Data-driven rows carry a 95% interval of their share and a `low_data` flag;
/// rule-based rows leave those columns empty. Spend, ROAS and CAC are empty
/// where undefined; rule models add a table of campaigns.
pub(super) fn channels_csv(out: &mut impl Write, report: &ReportView) -> std::io::Result<()> {
    writeln!(
        out,
        "channel,conversions,value,share,share_low,share_high,low_data,spend,roas,cac"
    )?;
    for ChannelReport { credit: row, costs } in &report.channels {
        let (low, high) = row.interval.map_or((String::new(), String::new()), |i| {
            (i.low.to_string(), i.high.to_string())
        });
        let low_data = row.low_data.map_or(String::new(), |l| l.to_string());
        let costs: Vec<String> = cost_cells(costs).iter().map(Cell::csv).collect();
        writeln!(
            out,
            "{},{},{},{},{low},{high},{low_data},{}",
            row.channel,
            row.conversions,
            row.value,
            row.share,
            costs.join(",")
        )?;
    }
    if let Some(table) = campaigns(report) {
        writeln!(out)?;
        table.csv(out)?;
    }
    Ok(())
}

pub(super) fn channels_text(out: &mut impl Write, report: &ReportView) -> std::io::Result<()> {
    let period = period(&report.from, &report.to);
    let model = match (report.order, report.markov_value) {
        (Some(order), Some(value)) => format!("{} (order {order}, value {value})", report.model),
        _ => report.model.to_owned(),
    };
    writeln!(out, "model {model}, {period}, spend in {}", report.currency)?;
    writeln!(
        out,
        "{:<26} {:>12} {:>14} {:>7} {:>15} {:>12} {:>8} {:>10}",
        "channel", "conversions", "value", "share", "95% interval", "spend", "roas", "cac"
    )?;
    for ChannelReport { credit: row, costs } in &report.channels {
        let interval = row.interval.map_or(String::new(), |i| {
            format!("{:.1}-{:.1}%", 100.0 * i.low, 100.0 * i.high)
        });
        let flag = if row.low_data == Some(true) {
            " low data"
        } else {
            ""
        };
        let [spend, roas, cac] = cost_cells(costs).map(|c| c.text());
        writeln!(
            out,
            "{:<26} {:>12.2} {:>14.2} {:>6.1}% {:>15} {spend:>12} {roas:>8} {cac:>10}{flag}",
            row.channel.as_str(),
            row.conversions,
            row.value,
            100.0 * row.share,
            interval
        )?;
    }
    let [spend, roas, cac] = cost_cells(&report.total.costs).map(|c| c.text());
    writeln!(
        out,
        "{:<26} {:>12.2} {:>14.2} {:>7} {:>15} {spend:>12} {roas:>8} {cac:>10}",
        "total", report.total.conversions, report.total.value, "", ""
    )?;
    if let Some(table) = campaigns(report) {
        writeln!(out)?;
        table.text(out)?;
    }
    Ok(())
}

fn cost_cells(costs: &Costs) -> [Cell; 3] {
    [costs.spend, costs.roas, costs.cac].map(opt)
}

/// Rule models: each channel's campaigns, credited or paid for.
fn campaigns(report: &ReportView) -> Option<Table> {
    let rows = report.campaigns.as_ref()?;
    let mut table = Table::new(
        "campaigns",
        &[
            "channel",
            "campaign",
            "conversions",
            "value",
            "spend",
            "roas",
            "cac",
        ],
    );
    for r in rows {
        let mut cells = vec![
            Cell::Text(r.channel.as_str().to_owned()),
            r.campaign.clone().map_or(Cell::Empty, Cell::Text),
            Cell::Number(r.conversions),
            Cell::Number(r.value),
        ];
        cells.extend(cost_cells(&r.costs));
        table.rows.push(cells);
    }
    Some(table)
}
