"""Interface language: Thai first, English second.

The language is a user preference kept in a cookie (``chipao_lang``), so every
page and callback renders in it without putting it into each URL.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from chipao.settings import settings
from chipao.web.lang import LANG_COOKIE, Lang, current_lang

__all__ = ["LANG_COOKIE", "STRINGS", "Lang", "current_lang", "t", "pick", "fmt_int", "fmt_pct",
           "fmt_signed", "round_label", "fmt_date", "fmt_datetime", "fmt_month", "fmt_num",
           "fmt_suppressed", "grid_number", "GRID_HEADERS", "service_label", "display_year",
           "month_names", "TZ"]

STRINGS: dict[str, tuple[str, str]] = {
    "app.name": ("ชี้เป้า", "Chipao"),
    "app.tagline": (
        "ระบบติดตามการขจัดความยากจนและพัฒนาคนทุกช่วงวัย (ศจพ.)",
        "Poverty-eradication coordination dashboard (ศจพ.)",
    ),
    "nav.overview": ("ภาพรวม", "Overview"),
    "nav.map": ("แผนที่ความยากจน", "Poverty map"),
    "nav.households": ("ครัวเรือน", "Households"),
    "nav.plans": ("แผนพัฒนา", "Plans"),
    "nav.centres": ("ศูนย์ช่วยเหลือสังคม", "Help centres"),
    "nav.admin": ("ผู้ดูแลระบบ", "Admin"),
    "nav.signout": ("ออกจากระบบ", "Sign out"),
    "nav.signin": ("เข้าสู่ระบบ", "Sign in"),
    "shell.round": ("รอบการสำรวจ", "Survey round"),
    "shell.language": ("ภาษา", "Language"),
    "shell.country": ("ประเทศไทย", "Thailand"),
    "attribution": (
        "ขอบเขตการปกครอง: OCHA / กรมแผนที่ทหาร (Royal Thai Survey Department), CC BY-IGO 3.0",
        "Boundaries: OCHA / Royal Thai Survey Department, CC BY-IGO 3.0",
    ),
    "source": ("ที่มา", "Source"),
    "no_data": ("ยังไม่มีข้อมูลในคลัง — รัน `make demo` หรือนำเข้าไฟล์", "The store is empty — run `make demo` or import a file"),
    "loading": ("กำลังโหลด…", "Loading…"),
    "overview.title": ("ภาพรวมระดับประเทศ", "National overview"),
    "overview.surveyed": ("ครัวเรือนที่สำรวจ", "Households surveyed"),
    "overview.poor": ("ครัวเรือนยากจนหลายมิติ", "Multidimensionally poor households"),
    "overview.poor_note": (
        "ยากจนตามเกณฑ์ TPMAP: ไม่ผ่านอย่างน้อย 1 ตัวชี้วัดในมิติใดมิติหนึ่ง",
        "Poor by the TPMAP rule: failing at least one indicator in any dimension",
    ),
    "overview.target_poor": ("คนจนเป้าหมาย (ถือบัตรสวัสดิการแห่งรัฐ)", "Target poor (with state welfare card)"),
    "overview.left_poverty": ("ครัวเรือนที่พ้นความยากจน", "Households that left poverty"),
    "overview.left_poverty_note": (
        "ยากจนในรอบก่อน และผ่านทุกตัวชี้วัดในรอบนี้",
        "Poor in the previous round, meeting every indicator in this one",
    ),
    "overview.change": ("เทียบกับรอบ", "vs round"),
    "overview.no_previous": ("ไม่มีรอบก่อนหน้า", "no previous round"),
    "overview.by_dimension": ("ครัวเรือนที่ขาดแคลนรายมิติ", "Deprived households by dimension"),
    "overview.top_provinces": ("10 จังหวัดที่มีครัวเรือนยากจนมากที่สุด", "Top 10 provinces by poor households"),
    "overview.households": ("ครัวเรือน", "households"),
    "overview.title_area": ("ภาพรวม: {area}", "Overview: {area}"),
    "overview.top_districts": ("10 อำเภอที่มีครัวเรือนยากจนมากที่สุด", "Top 10 districts by poor households"),
    "overview.top_tambons": ("10 ตำบลที่มีครัวเรือนยากจนมากที่สุด", "Top 10 tambons by poor households"),
    "col.district": ("อำเภอ", "District"),
    "col.tambon": ("ตำบล", "Tambon"),
    "overview.share": ("สัดส่วน", "Share"),
    "col.rank": ("อันดับ", "Rank"),
    "col.province": ("จังหวัด", "Province"),
    "col.poor": ("ครัวเรือนยากจน", "Poor households"),
    "col.share": ("ร้อยละ", "Share (%)"),
    "col.change": ("เปลี่ยนแปลง", "Change"),
    "col.surveyed": ("สำรวจ", "Surveyed"),
    "error.title": ("เกิดข้อผิดพลาด", "Something went wrong"),
    "error.bad_param": ("พารามิเตอร์ไม่ถูกต้อง", "Invalid parameter"),
    "notfound.title": ("ไม่พบหน้านี้", "Page not found"),
    "notfound.back": ("กลับหน้าภาพรวม", "Back to the overview"),
    # ── poverty map (pages/map.py, components/map_controls.py) ──
    "map.title": ("แผนที่ความยากจนหลายมิติ", "Multidimensional poverty map"),
    "map.bad_params": ("ลิงก์นี้มีพารามิเตอร์ที่ไม่ถูกต้อง จึงแสดงแผนที่ไม่ได้", "This link has invalid parameters, so the map cannot be shown"),
    "map.subject": ("เรื่อง", "Subject"),
    "map.subject.overall": ("ภาพรวม (ทุกมิติ)", "Overall (all dimensions)"),
    "map.all_indicators": ("คิดจากทุกตัวชี้วัด", "over all indicators"),
    "map.dimension": ("มิติ", "Dimension"),
    "map.indicator": ("ตัวชี้วัด", "Indicator"),
    "map.measure": ("ตัววัด", "Measure"),
    "map.measure.count": ("จำนวนครัวเรือนที่ขาดแคลน", "Households deprived"),
    "map.measure.share": ("ร้อยละครัวเรือนที่ขาดแคลน", "Share of households deprived"),
    "map.measure.target_poor": ("คนจนเป้าหมาย (ขาดแคลนและถือบัตรสวัสดิการ)", "Target poor (deprived, with welfare card)"),
    "map.measure.H": ("อัตราคนจน H", "Headcount ratio H"),
    "map.measure.A": ("ความรุนแรง A", "Intensity A"),
    "map.measure.M0": ("ดัชนี M0 = H×A", "Adjusted headcount M0 = H×A"),
    "map.measure.contribution": ("สัดส่วนต่อ M0", "Contribution to M0"),
    "map.def.rule_overall": ("ยากจนตามเกณฑ์ TPMAP: ขาดแคลนอย่างน้อย 1 มิติ (ไม่ผ่านตัวชี้วัดใดก็ได้)", "Poor by the TPMAP rule: deprived in at least one dimension (failing any indicator)."),
    "map.def.rule_dim": ("ขาดแคลนในมิตินี้: ไม่ผ่านอย่างน้อย 1 ตัวชี้วัดของมิติ", "Deprived in this dimension: failing at least one of its indicators."),
    "map.def.rule_ind": ("ขาดแคลน: ไม่ผ่านตัวชี้วัดนี้ (ครัวเรือนที่ไม่เกี่ยวข้อง เช่น ไม่มีเด็ก นับว่าไม่ขาดแคลน)", "Deprived: failing this indicator (households it does not apply to count as not deprived)."),
    "map.def.count": ("นับเป็นจำนวนครัวเรือน", "Counted in households."),
    "map.def.share": ("ร้อยละของครัวเรือนที่สำรวจในพื้นที่", "Per cent of the households surveyed in the area."),
    "map.def.target_poor": ("ครัวเรือนยากจนตามเกณฑ์ TPMAP ที่ถือบัตรสวัสดิการแห่งรัฐ (นิยามของ ศจพ.)", "Households poor by the TPMAP rule that hold a state welfare card (the ศจพ. definition)."),
    "map.def.H": ("Alkire–Foster: สัดส่วนครัวเรือนที่มีคะแนนความขาดแคลน c ≥ k", "Alkire–Foster: share of households whose deprivation score c ≥ k."),
    "map.def.A": ("Alkire–Foster: คะแนนความขาดแคลนเฉลี่ยของครัวเรือนยากจน (c ≥ k)", "Alkire–Foster: average deprivation score of the poor (c ≥ k)."),
    "map.def.M0": ("Alkire–Foster: M0 = H × A (0–1) รวมทั้งจำนวนและความรุนแรง", "Alkire–Foster: M0 = H × A (0–1), combining how many and how deprived."),
    "map.def.contribution": ("Alkire–Foster: ส่วนของ M0 ที่มาจากมิติ/ตัวชี้วัดนี้ (น้ำหนัก × สัดส่วนผู้ยากจนที่ขาดแคลน ÷ M0)", "Alkire–Foster: the part of M0 due to this dimension or indicator (weight × censored headcount ÷ M0)."),
    "map.def.af_rule": ("คะแนน c = ผลรวมน้ำหนักของตัวชี้วัดที่ไม่ผ่าน (แต่ละมิติ 1/5 แบ่งเท่ากันในมิติ); ยากจนเมื่อ c ≥ k = {k}", "Score c = sum of the weights of the failed indicators (each dimension 1/5, split equally); poor when c ≥ k = {k}."),
    "map.k": ("ค่าตัด k", "Cut-off k"),
    "map.k_hint": ("0 < k ≤ 1 (ค่าเริ่มต้น 1/3)", "0 < k ≤ 1 (default 1/3)"),
    "map.level": ("พื้นที่ที่แสดง", "Areas shown"),
    "map.level.1": ("จังหวัด", "Provinces"),
    "map.level.2": ("อำเภอ", "Districts"),
    "map.level.3": ("ตำบล", "Tambons"),
    "map.classes": ("การแบ่งช่วงสี", "Classes"),
    "map.classes.quantiles": ("ควอนไทล์ (จำนวนพื้นที่เท่ากัน)", "Quantiles"),
    "map.classes.fisher_jenks": ("ช่วงธรรมชาติ (Fisher–Jenks)", "Natural breaks (Fisher–Jenks)"),
    "map.classes.equal_interval": ("ช่วงเท่ากัน", "Equal interval"),
    "map.compare": ("เปรียบเทียบกับรอบ", "Compare with round"),
    "map.compare.none": ("ไม่เปรียบเทียบ", "No comparison"),
    "map.change": ("การเปลี่ยนแปลง", "Change"),
    "map.legend": ("คำอธิบายสี", "Legend"),
    "map.too_few": ("ครัวเรือนที่สำรวจน้อยเกินไป (< {n}) ไม่แสดงอัตรา", "Too few households surveyed (< {n}): no rate shown"),
    "map.too_few_short": ("ครัวเรือนน้อย", "too few households"),
    "map.ranking_unranked_more": ("และอีก {n} พื้นที่ที่ครัวเรือนน้อยเกินไป (ไม่จัดอันดับ) ไม่แสดงในตาราง",
                                  "and {n} more areas with too few households (not ranked) are not listed"),
    "map.suppressed_short": ("ไม่เปิดเผย", "withheld"),
    "map.no_data": ("ไม่มีข้อมูล", "No data"),
    "map.suppressed": ("ปกปิด: ครัวเรือนน้อยกว่า {n}", "Hidden: fewer than {n} households"),
    "map.no_card_data": ("รอบนี้ไม่มีข้อมูลบัตรสวัสดิการแห่งรัฐ", "This round has no welfare-card data"),
    "map.rank": ("อันดับ", "Rank"),
    "map.keys": ("แป้นพิมพ์: ลูกศร เลื่อนแผนที่ · + − ซูม · [ ] เลือกพื้นที่ทีละแห่ง · Enter เปิดพื้นที่ที่เลือก · Esc ยกเลิก",
                 "Keyboard: arrows pan · + − zoom · [ ] step through the areas · Enter opens the focused area · Esc clears"),
    "map.aria": ("แผนที่ {what} (ตารางอันดับพื้นที่ข้างแผนที่แสดงตัวเลขเดียวกัน)",
                 "Map of {what} (the ranking table beside it gives the same figures)"),
    "map.area": ("พื้นที่", "Area"),
    "map.area_in": ("ใน", "In"),
    "map.ranking": ("อันดับพื้นที่ (มาก → น้อย)", "Areas ranked (highest first)"),
    "map.rank_top": ("อันดับ 1 = ขาดแคลนมากที่สุด", "rank 1 = the most deprived"),
    "map.rank_top_change": ("อันดับ 1 = เพิ่มขึ้นมากที่สุด (แย่ลงมากที่สุด)", "rank 1 = the largest rise (worsened most)"),
    "map.change_better": ("ค่าต่ำกว่า 0 = ดีขึ้น (ขาดแคลนลดลง) · สูงกว่า 0 = แย่ลง",
                          "Below 0 = better (less deprivation) · above 0 = worse"),
    "map.change_contribution": ("ค่าสูงกว่า 0 = มิติ/ตัวชี้วัดนี้มีส่วนต่อ M0 มากขึ้น",
                                "Above 0 = this dimension or indicator weighs more in M0"),
    "map.ranking_edges": ("อันดับพื้นที่: {n} อันดับแรกและ {n} อันดับสุดท้าย", "Areas ranked: top {n} and bottom {n}"),
    "map.ranking_all": ("แสดงทุกพื้นที่", "Show every area"),
    "map.no_area": ("ไม่พบพื้นที่", "Area not found"),
    "map.households": ("ครัวเรือน", "Households"),
    "map.panel.surveyed": ("ครัวเรือนที่สำรวจ", "Households surveyed"),
    "map.panel.poor": ("ยากจน (เกณฑ์ TPMAP)", "Poor (TPMAP rule)"),
    "map.panel.poor_people": ("สมาชิกครัวเรือนยากจน (คน)", "Members of poor households (people)"),
    "map.panel.left_poverty": ("พ้นความยากจนจากรอบก่อน", "Left poverty since the previous round"),
    "map.panel.new_poor": ("ยากจนใหม่", "Newly poor"),
    "map.panel.change": ("เทียบกับ", "vs"),
    "map.panel.deprived": ("ขาดแคลน", "Deprived"),
    "map.panel.contribution": ("สัดส่วนต่อ M0", "Share of M0"),
    "map.panel.by_indicator": ("รายตัวชี้วัด", "By indicator"),
    "map.panel.not_applicable": ("ไม่เกี่ยวข้อง", "Not applicable"),
    "map.panel.note": ("ขาดแคลนรายมิติตามเกณฑ์ TPMAP; สัดส่วนต่อ M0 ตาม Alkire–Foster ที่ค่าตัด k เดียวกับแผนที่", "Dimension deprivation by the TPMAP rule; share of M0 by Alkire–Foster at the map's cut-off k"),
    # ── households: list (hh.) and family notebook (rec.) ──
    "hh.title": ("รายการครัวเรือน", "Household list"),
    "hh.pick_title": ("เลือกพื้นที่", "Choose an area"),
    "hh.pick_help": (
        "เลือกอำเภอหรือตำบลในพื้นที่ของท่าน หรือค้นหาด้วยรหัสบ้านหรือชื่อสมาชิก",
        "Choose a district or tambon in your area, or search by house ID or a member's name",
    ),
    "hh.search": ("ค้นหา", "Search"),
    "hh.search_placeholder": ("รหัสบ้าน หรือชื่อ-สกุลสมาชิก", "House ID or a member's name"),
    "hh.search_placeholder_id": ("รหัสบ้าน", "House ID"),
    "hh.search_results": ("ผลการค้นหาในพื้นที่ของท่าน", "Search results in your areas"),
    "hh.filters": ("ตัวกรอง", "Filters"),
    "hh.filter.dim": ("ขาดแคลนมิติ", "Deprived in dimension"),
    "hh.filter.ind": ("ไม่ผ่านตัวชี้วัด", "Failing indicator"),
    "hh.filter.dims": ("จำนวนมิติที่ขาดแคลนอย่างน้อย", "Dimensions deprived, at least"),
    "hh.filter.k": ("คะแนน AF อย่างน้อย (k)", "AF score at least (k)"),
    "hh.filter.plan": ("สถานะแผนพัฒนา", "Plan status"),
    "hh.filter.visited": ("การเยี่ยมบ้าน", "Home visit"),
    "hh.filter.welfare": ("บัตรสวัสดิการแห่งรัฐ", "State welfare card"),
    "hh.filter.village": ("หมู่ที่", "Village"),
    "hh.filter.any": ("ทั้งหมด", "All"),
    "hh.filter.reset": ("ล้างตัวกรอง", "Clear filters"),
    "hh.yes": ("มี", "Yes"),
    "hh.no": ("ไม่มี", "No"),
    "hh.visited.yes": ("เยี่ยมแล้ว", "Visited"),
    "hh.visited.no": ("ยังไม่ได้เยี่ยม", "Not visited"),
    "hh.count": ("{n} ครัวเรือน", "{n} households"),
    "hh.counts_what": (
        "นับครัวเรือนที่สำรวจในรอบ {round} ตามตัวกรองที่เลือก",
        "Households surveyed in {round} that match the filters",
    ),
    "hh.poor_rule": (
        "ยากจน (TPMAP): ไม่ผ่านอย่างน้อย 1 ตัวชี้วัด · คะแนน AF: ผลรวมน้ำหนักตัวชี้วัดที่ไม่ผ่าน (มิติละ 1/5)",
        "Poor (TPMAP): failing at least one indicator · AF score: sum of the weights of failed indicators (1/5 a dimension)",
    ),
    "hh.export_csv": ("ส่งออก CSV", "Export CSV"),
    "hh.export_xlsx": ("ส่งออก Excel", "Export Excel"),
    "hh.export_cap": (
        "รายการมี {n} ครัวเรือน เกินขีดจำกัดการส่งออก {cap} แถว — โปรดเพิ่มตัวกรอง",
        "The list has {n} households, above the export limit of {cap} rows — narrow the filters",
    ),
    "hh.paging_limit": (
        "ท่านเลื่อนดูรายการเกิน {n} ครัวเรือนใน {minutes} นาที — โปรดรอสักครู่ "
        "หรือใช้ตัวกรอง/การส่งออก (ซึ่งถูกบันทึกไว้) แทนการเลื่อนดูทั้งหมด",
        "You have paged through more than {n} households in {minutes} minutes — wait a "
        "little, or narrow the filters or use the (logged) export instead of paging",
    ),
    "hh.export_done": ("ส่งออก {n} แถวแล้ว (บันทึกไว้ในประวัติการใช้งาน)", "Exported {n} rows (recorded in the audit log)"),
    "hh.export_note": (
        "ไฟล์ส่งออกไม่มีเลขประจำตัวประชาชน ชื่อแสดงตามสิทธิ์ของท่าน ไม่เกิน {cap} แถว และทุกครั้งถูกบันทึกไว้",
        "Exports carry no national IDs, show names as your role sees them, hold at most {cap} rows, and are logged",
    ),
    "hh.refused": ("คำขอถูกปฏิเสธ", "Request refused"),
    "hh.col.house_id": ("รหัสบ้าน", "House ID"),
    "hh.col.province": ("จังหวัด", "Province"),
    "hh.col.district": ("อำเภอ", "District"),
    "hh.col.tambon": ("ตำบล", "Tambon"),
    "hh.col.village": ("หมู่ที่", "Village"),
    "hh.col.size": ("จำนวนสมาชิก", "Members"),
    "hh.col.welfare": ("บัตรสวัสดิการ", "Welfare card"),
    "hh.col.dims": ("มิติที่ขาดแคลน", "Dimensions deprived"),
    "hh.col.n_dims": ("จำนวนมิติ", "No. of dimensions"),
    "hh.col.score": ("คะแนน AF", "AF score"),
    "hh.col.poor": ("ยากจน (TPMAP)", "Poor (TPMAP)"),
    "hh.col.plan": ("แผนพัฒนา", "Development plan"),
    "hh.col.plan_done": ("กิจกรรมที่เสร็จ", "Plan items done"),
    "hh.col.plan_total": ("กิจกรรมทั้งหมด", "Plan items"),
    "hh.col.last_visit": ("เยี่ยมล่าสุด", "Last visit"),
    "hh.col.head": ("หัวหน้าครัวเรือน", "Head of household"),
    "hh.col.round": ("รอบการสำรวจ", "Survey round"),
    "plan.none": ("ไม่มีแผน", "No plan"),
    "plan.not_started": ("ยังไม่เริ่ม", "Not started"),
    "plan.in_progress": ("กำลังดำเนินการ", "In progress"),
    "plan.done": ("เสร็จสิ้น", "Done"),
    "plan.cancelled": ("ยกเลิก", "Cancelled"),
    "rec.title": ("สมุดพกครอบครัว", "Family notebook"),
    "rec.back": ("รายการครัวเรือนของตำบล", "Household list of the tambon"),
    "rec.location": ("ที่ตั้งและศูนย์ช่วยเหลือสังคมที่ใกล้ที่สุด", "Location and the nearest social-help centre"),
    "rec.no_location": ("ไม่มีพิกัดที่ตั้งบ้าน", "No location recorded for this house"),
    "rec.nearest": ("ศูนย์ที่ใกล้ที่สุด", "Nearest centre"),
    "rec.distance": ("ระยะทางเส้นตรง", "Straight-line distance"),
    "rec.no_centre": ("ไม่พบศูนย์ที่เปิดให้บริการ", "No open centre found"),
    "rec.map_note": (
        "จุดสีน้ำเงิน: บ้าน · จุดสีส้ม: ศูนย์ช่วยเหลือสังคม · เส้น: ขอบเขตตำบล",
        "Blue: the house · orange: the social-help centre · line: the tambon boundary",
    ),
    "rec.members": ("สมาชิกในครัวเรือน", "Household members"),
    "rec.seq": ("ลำดับ", "No."),
    "rec.name": ("ชื่อ-สกุล", "Name"),
    "rec.national_id": ("เลขประจำตัวประชาชน", "National ID"),
    "rec.sex": ("เพศ", "Sex"),
    "rec.age_group": ("ช่วงอายุ", "Age group"),
    "rec.relation": ("ความสัมพันธ์", "Relation"),
    "rec.masked_note": (
        "เลขประจำตัวประชาชนแสดงเฉพาะ 4 หลักท้าย การเปิดดูข้อมูลเต็มต้องระบุเหตุผลและถูกบันทึกไว้",
        "National IDs show their last 4 digits; showing them in full needs a reason and is logged",
    ),
    "rec.reveal": ("แสดงข้อมูลเต็ม", "Show full identifiers"),
    "rec.reveal_reason": ("เหตุผลในการเปิดดู (จะถูกบันทึก)", "Reason (will be logged)"),
    "rec.reveal_confirm": ("ยืนยันการเปิดดู", "Confirm"),
    "rec.revealed": ("แสดงข้อมูลเต็มแล้ว — การเปิดดูครั้งนี้ถูกบันทึกไว้", "Full identifiers shown — this reveal is logged"),
    "rec.indicators": ("ผลตัวชี้วัดรายรอบการสำรวจ", "Indicator results by survey round"),
    "rec.indicator": ("ตัวชี้วัด", "Indicator"),
    "rec.change": ("การเปลี่ยนแปลง", "Change"),
    "rec.dimension_row": ("มิติ (ขาดแคลนเมื่อไม่ผ่านตัวชี้วัดใดตัวหนึ่ง)", "Dimension (deprived when failing any indicator)"),
    "status.met": ("ผ่าน", "Met"),
    "status.failed": ("ไม่ผ่าน", "Failed"),
    "status.na": ("ไม่เกี่ยวข้อง", "Not applicable"),
    "status.deprived": ("ขาดแคลน", "Deprived"),
    "status.not_deprived": ("ไม่ขาดแคลน", "Not deprived"),
    "change.improved": ("ดีขึ้น", "Improved"),
    "change.worsened": ("แย่ลง", "Worse"),
    "change.same": ("คงเดิม", "Same"),
    "rec.score": ("คะแนนความขาดแคลน (Alkire–Foster)", "Deprivation score (Alkire–Foster)"),
    "rec.poor": ("ยากจนตามเกณฑ์ TPMAP", "Poor by the TPMAP rule"),
    "rec.not_poor": ("ไม่ยากจนตามเกณฑ์ TPMAP", "Not poor by the TPMAP rule"),
    "rec.left_poverty": ("พ้นความยากจน", "Left poverty"),
    "rec.left_poverty_note": (
        "ผ่านทุกตัวชี้วัดในรอบล่าสุด หลังจากไม่ผ่านในรอบก่อน",
        "Meets every indicator in the latest round after failing some before",
    ),
    "rec.analysis": ("การวิเคราะห์ครัวเรือน (จากการเยี่ยมบ้าน)", "Household analysis (from home visits)"),
    "rec.poverty_type": ("ประเภทความยากจน", "Poverty type"),
    "rec.causes": ("สาเหตุ", "Causes"),
    "rec.needs": ("ความต้องการ", "Needs"),
    "ptype.chronic": ("ยากจนเรื้อรัง", "Chronic poor"),
    "ptype.new_poor": ("คนจนใหม่", "New poor"),
    "ptype.vulnerable": ("กลุ่มเปราะบาง", "Vulnerable"),
    "ptype.temporary": ("ยากจนชั่วคราว", "Temporarily poor"),
    "rec.plan": ("แผนพัฒนาครัวเรือน", "Household development plan"),
    "horizon.urgent": ("ระยะเร่งด่วน", "Urgent (short term)"),
    "horizon.medium": ("ระยะกลาง", "Medium term"),
    "horizon.long": ("ระยะยาว", "Long term"),
    "rec.category": ("กิจกรรม", "Item"),
    "rec.agency": ("หน่วยงานรับผิดชอบ", "Responsible agency"),
    "rec.status": ("สถานะ", "Status"),
    "rec.plan_round": ("แผนของรอบ", "Plan of round"),
    "rec.created": ("วันที่สร้าง", "Created"),
    "rec.due": ("กำหนดเสร็จ", "Due"),
    "rec.started": ("เริ่ม", "Started"),
    "rec.completed": ("เสร็จ", "Completed"),
    "rec.no_plan": ("ยังไม่มีแผนพัฒนา", "No development plan yet"),
    "rec.visits": ("ประวัติการเยี่ยมบ้าน", "Home-visit history"),
    "rec.no_visits": ("ยังไม่มีการเยี่ยมบ้าน", "No home visits yet"),
    "visitor.official": ("เจ้าหน้าที่รัฐ", "Official"),
    "visitor.volunteer": ("อาสาสมัครพัฒนาสังคม (อพม.)", "Social-development volunteer"),
    "visitor.youth_council": ("สภาเด็กและเยาวชน", "Youth council"),
    "rec.unknown": ("ไม่ทราบ", "Unknown"),
    "cause.low_income": ("รายได้น้อย", "Low income"),
    "cause.debt": ("หนี้สิน", "Debt"),
    "cause.unemployment": ("ว่างงาน", "Unemployment"),
    "cause.illness": ("เจ็บป่วย", "Illness"),
    "cause.disability": ("ความพิการ", "Disability"),
    "cause.elderly_dependency": ("มีผู้สูงอายุที่ต้องพึ่งพิง", "Dependent elderly"),
    "cause.no_land": ("ไม่มีที่ดินทำกิน", "No land to farm"),
    "cause.disaster": ("ภัยพิบัติ", "Disaster"),
    "cause.low_education": ("การศึกษาน้อย", "Little schooling"),
    "cause.family_breakdown": ("ครอบครัวแตกแยก", "Family breakdown"),
    "need.cash_assistance": ("เงินช่วยเหลือ", "Cash assistance"),
    "need.job": ("งานทำ", "A job"),
    "need.vocational_training": ("ฝึกอาชีพ", "Vocational training"),
    "need.health_care": ("การดูแลสุขภาพ", "Health care"),
    "need.housing_repair": ("ซ่อมแซมที่อยู่อาศัย", "Housing repair"),
    "need.education": ("การศึกษา", "Education"),
    "need.land": ("ที่ดินทำกิน", "Land to farm"),
    "need.care_services": ("บริการดูแล", "Care services"),
    "need.rights_registration": ("การเข้าถึงสิทธิและการลงทะเบียน", "Rights and registration"),
    "rec.programme": ("อยู่ในกลุ่มเป้าหมายโครงการ 4,104,450 ครัวเรือน", "In the 4,104,450-household programme"),
    "sex.M": ("ชาย", "Male"),
    "sex.F": ("หญิง", "Female"),
    "rel.head": ("หัวหน้าครัวเรือน", "Head"),
    "rel.spouse": ("คู่สมรส", "Spouse"),
    "rel.child": ("บุตร", "Child"),
    "rel.parent": ("บิดา/มารดา", "Parent"),
    "rel.grandchild": ("หลาน", "Grandchild"),
    "rel.relative": ("ญาติ", "Relative"),
    "rel.other": ("อื่น ๆ", "Other"),
    "age.years": ("ปี", "years"),
}


def t(key: str, lang: Lang | None = None) -> str:
    th, en = STRINGS[key]
    return en if (lang or current_lang()) == "en" else th


def pick(th: str, en: str, lang: Lang | None = None) -> str:
    """Choose between a Thai and an English text from the store."""
    return en if (lang or current_lang()) == "en" else (th or en)


# ── numbers, dates and times: the one home of their formatting ──────────────
# Thai mode writes dates in the Buddhist era (2 ธ.ค. 2569), English mode in the
# Gregorian calendar (2 Dec 2026); every time is Bangkok time. Numbers carry thousands
# separators in both languages, and a column uses one number of decimals throughout.
TZ = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543
MONTHS_TH = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
             "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DASH = "–"


def display_year(year_ad: int, lang: Lang | None = None) -> int:
    """The year a person reads: B.E. in Thai, A.D. in English."""
    return year_ad + BE_OFFSET if (lang or current_lang()) == "th" else year_ad


def month_names(lang: Lang | None = None) -> tuple[str, ...]:
    return MONTHS_TH if (lang or current_lang()) == "th" else MONTHS_EN


def bangkok(moment: datetime) -> datetime:
    """`moment` as Bangkok wall time. Aware datetimes are converted; naive ones are
    taken to be Bangkok time already (queries hand out naive times only that way)."""
    return moment.astimezone(TZ) if moment.tzinfo else moment.replace(tzinfo=TZ)


def fmt_date(d: date | datetime | None, lang: Lang | None = None) -> str:
    """2 ธ.ค. 2569 (Thai) or 2 Dec 2026 (English); a datetime is taken in Bangkok."""
    if d is None:
        return DASH
    if isinstance(d, datetime):
        d = bangkok(d).date()
    lang = lang or current_lang()
    return f"{d.day} {month_names(lang)[d.month - 1]} {display_year(d.year, lang)}"


def fmt_datetime(moment: datetime | None, lang: Lang | None = None) -> str:
    """2 ธ.ค. 2569 19:03 น. (Thai) or 2 Dec 2026, 19:03 (English), Bangkok time."""
    if moment is None:
        return DASH
    local = bangkok(moment)
    lang = lang or current_lang()
    day = fmt_date(local.date(), lang)
    return f"{day} {local:%H:%M} น." if lang == "th" else f"{day}, {local:%H:%M}"


def fmt_month(d: date | None, lang: Lang | None = None) -> str:
    """ธ.ค. 2569 (Thai) or Dec 2026 (English)."""
    if d is None:
        return DASH
    lang = lang or current_lang()
    return f"{month_names(lang)[d.month - 1]} {display_year(d.year, lang)}"


def fmt_int(n: int | float | None) -> str:
    return DASH if n is None else f"{int(round(n)):,}"


def fmt_num(x: int | float | None, digits: int = 0) -> str:
    """A number with thousands separators and exactly `digits` decimals."""
    return DASH if x is None else f"{x:,.{digits}f}"


def fmt_pct(x: float | None, digits: int = 1) -> str:
    return DASH if x is None else f"{100 * x:.{digits}f}%"


def fmt_signed(n: int | float | None, pct: bool = False) -> str:
    if n is None:
        return DASH
    return f"{100 * n:+.1f} pp" if pct else f"{int(round(n)):+,}"


def fmt_suppressed() -> str:
    """What a small count withheld from public viewers shows: "<5"."""
    return f"<{settings().suppress_below}"


def grid_number(digits: int = 0) -> dict:
    """AG Grid column settings that show a number column with thousands separators and
    one number of decimals (``5,800``, ``25.0`` beside ``33.3``); empty cells stay empty.
    Sorting and filtering still see the number."""
    return {"type": "numericColumn", "valueFormatter": {
        "function": f"params.value == null ? '' : d3.format(',.{digits}f')(params.value)"}}


GRID_HEADERS = {"wrapHeaderText": True, "autoHeaderHeight": True}  # no header is cut off


def round_label(year_be: int, lang: Lang | None = None) -> str:
    """Survey rounds are named by their Buddhist-era year (พ.ศ.)."""
    return f"พ.ศ. {year_be}" if (lang or current_lang()) == "th" else f"B.E. {year_be} ({year_be - 543})"


# ── /plans: plan progress (pages/plans.py, pages/plans_household.py, plan_widgets) ──
STRINGS.update({
    "plans.title": ("ความก้าวหน้าการพัฒนาครัวเรือนเป้าหมาย", "Household development plan progress"),
    "plans.source": (
        "ครัวเรือนเป้าหมาย การเยี่ยมบ้าน และแผนพัฒนาครัวเรือน (สมุดพกครอบครัว) ในคลังข้อมูลชี้เป้า; ความยากจนตามรอบสำรวจ จปฐ./TPMAP",
        "Target households, home visits and household development plans (family notebook) in the Chipao store; poverty from the BMN/TPMAP survey rounds"),
    "plans.as_of": ("ข้อมูล ณ วันที่ {date} (ประมวลผลเมื่อ {at})", "Figures as of {date} (computed {at})"),
    "plans.as_of_short": ("ณ วันที่ {date}", "as of {date}"),
    "plans.never_refreshed": ("ยังไม่ได้ประมวลผลตัวเลขแผนพัฒนา — รัน `chipao refresh`",
                              "Plan figures not computed yet — run `chipao refresh`"),
    "plans.pending": (
        "มีการบันทึกความก้าวหน้า {n} รายการในพื้นที่นี้หลังการประมวลผลครั้งล่าสุด — ตัวเลขจะรวมรายการเหล่านี้หลังการประมวลผลรอบถัดไป (ทุกวัน)",
        "{n} progress updates in this area were recorded after the figures were computed — they appear after the next (daily) rebuild"),
    "plans.not_known": ("ยังไม่ทราบ", "not known yet"),
    "plans.funnel": ("ลำดับขั้นการช่วยเหลือครัวเรือนเป้าหมาย", "From target households to leaving poverty"),
    "plans.funnel_counts": ("จำนวนครัวเรือนเป้าหมายที่สำรวจในรอบนี้ในแต่ละขั้น (ร้อยละของครัวเรือนเป้าหมาย)",
                            "Programme-target households surveyed in the round, per stage (share of target households)"),
    "plans.funnel_note": (
        "แต่ละขั้นนับแยกกันในกลุ่มครัวเรือนเป้าหมาย: เยี่ยมบ้านตั้งแต่เริ่มรอบ, วิเคราะห์ = การเยี่ยมที่ระบุประเภทความยากจน, มีแผนของรอบนี้, ทำแผนครบ = ทุกรายการที่ไม่ยกเลิกเสร็จแล้ว",
        "Each stage is counted on its own among target households: visited since the round began, analysed = a visit recorded a poverty type, with a plan of the round, plan completed = every non-cancelled item done"),
    "plans.left_poverty_note": ("พ้นความยากจน: มีแผน ยากจนใน{now} และไม่ยากจนใน{next}",
                                "Left poverty: had a plan, poor in {now}, not poor in {next}"),
    "plans.left_poverty_none": ("พ้นความยากจน: ยังไม่มีรอบสำรวจถัดไปให้เปรียบเทียบ",
                                "Left poverty: no later survey round to compare with yet"),
    "plans.stage.target": ("ครัวเรือนเป้าหมาย", "Target households"),
    "plans.stage.visited": ("เยี่ยมบ้านแล้ว", "Visited"),
    "plans.stage.analysed": ("วิเคราะห์แล้ว", "Analysed"),
    "plans.stage.with_plan": ("มีแผนพัฒนา", "With a plan"),
    "plans.stage.plans_done": ("ดำเนินการตามแผนครบ", "Plan completed"),
    "plans.stage.left_poverty": ("พ้นความยากจนในรอบถัดไป", "Left poverty next round"),
    "plans.of_target": ("ของครัวเรือนเป้าหมาย", "of target households"),
    "plans.kpi.target_detail": ("ครัวเรือนในโครงการที่สำรวจในรอบนี้", "programme households surveyed in the round"),
    "plans.kpi.items_done": ("รายการในแผนที่เสร็จแล้ว", "Plan items done"),
    "plans.kpi.items": ("รายการ (ไม่รวมที่ยกเลิก)", "items (not cancelled)"),
    "plans.kpi.overdue_detail": ("ยังไม่เสร็จและเลยกำหนด", "open and past their due date"),
    "plans.map_title": ("แผนที่ความก้าวหน้า", "Progress map"),
    "plans.map_hint": ("คลิกพื้นที่เพื่อดูพื้นที่ย่อย", "Click an area to see the areas inside it"),
    "plans.measure.plan": ("ร้อยละครัวเรือนเป้าหมายที่มีแผน", "Share of target households with a plan"),
    "plans.measure.done": ("ร้อยละรายการในแผนที่เสร็จ", "Share of plan items done"),
    "plans.measure.visited": ("ร้อยละครัวเรือนเป้าหมายที่เยี่ยมแล้ว", "Share of target households visited"),
    "plans.measure_note.plan": ("ครัวเรือนเป้าหมายที่มีแผนของรอบนี้ ÷ ครัวเรือนเป้าหมายที่สำรวจในรอบนี้",
                                "Target households with a plan of the round ÷ target households surveyed in the round"),
    "plans.measure_note.done": ("รายการที่เสร็จ ÷ รายการทั้งหมดที่ไม่ยกเลิก ในแผนของรอบนี้ (ทุกครัวเรือน)",
                                "Items done ÷ items not cancelled, in the round's plans (all households)"),
    "plans.measure_note.visited": ("ครัวเรือนเป้าหมายที่เยี่ยมตั้งแต่เริ่มรอบ ÷ ครัวเรือนเป้าหมาย",
                                   "Target households visited since the round began ÷ target households"),
    "plans.too_few": ("ตัวหารน้อยกว่า {n} — ไม่ระบายสี", "Fewer than {n} in the denominator — not coloured"),
    "plans.level.1": ("รายจังหวัด", "by province"),
    "plans.level.2": ("รายอำเภอ", "by district"),
    "plans.level.3": ("รายตำบล", "by tambon"),
    "plans.horizons": ("รายการในแผนตามระยะ", "Plan items by horizon"),
    "plans.horizon.urgent": ("เร่งด่วน/ระยะสั้น", "Urgent / short term"),
    "plans.horizon.medium": ("ระยะกลาง", "Medium term"),
    "plans.horizon.long": ("ระยะยาว", "Long term"),
    "plans.horizon_note": ("มัธยฐานจำนวนวันจากวันที่สร้างรายการถึงวันที่เสร็จ (เฉพาะรายการที่เสร็จ)",
                           "Median days from an item's creation to its completion (done items)"),
    "plans.items_counts": ("รายการในแผนพัฒนาของรอบนี้ตามสถานะ", "Plan items of the round's plans, by status"),
    "plans.status.not_started": ("ยังไม่เริ่ม", "Not started"),
    "plans.status.in_progress": ("กำลังดำเนินการ", "In progress"),
    "plans.status.done": ("เสร็จแล้ว", "Done"),
    "plans.status.cancelled": ("ยกเลิก", "Cancelled"),
    "plans.col.horizon": ("ระยะ", "Horizon"),
    "plans.col.items": ("รายการ", "Items"),
    "plans.col.open": ("ค้างดำเนินการ", "Open"),
    "plans.col.overdue": ("เลยกำหนด", "Overdue"),
    "plans.col.median_days": ("มัธยฐานวันถึงเสร็จ", "Median days to done"),
    "plans.col.agency": ("หน่วยงาน", "Agency"),
    "plans.col.area": ("พื้นที่", "Area"),
    "plans.col.step": ("ขั้นตอน", "Step"),
    "plans.col.status": ("สถานะ", "Status"),
    "plans.col.highest_step": ("ขั้นสูงสุดที่เสร็จ", "Highest step done"),
    "plans.col.in_store": ("ครัวเรือนเป้าหมายในระบบ", "Target households in the store"),
    "plans.col.share_of_target": ("มีแผน/เป้าหมาย", "With a plan / target"),
    "plans.col.eta": ("คาดว่าถึงเป้า", "Target reached (projected)"),
    "plans.col.stalled_households": ("ครัวเรือนที่งานหยุดนิ่ง", "Stalled households"),
    "plans.col.stalled_items": ("รายการที่หยุดนิ่ง", "Stalled items"),
    "plans.col.open_items": ("รายการค้าง", "Open items"),
    "plans.col.house": ("รหัสบ้าน", "House ID"),
    "plans.col.tambon": ("ตำบล", "Tambon"),
    "plans.col.village": ("หมู่ที่", "Village"),
    "plans.col.last_change": ("ปรับปรุงล่าสุด", "Last change"),
    "plans.col.idle_days": ("วันที่ไม่เคลื่อนไหว", "Idle days"),
    "plans.col.earliest_due": ("กำหนดเสร็จเร็วสุด", "Earliest due"),
    "plans.agencies": ("หน่วยงานรับผิดชอบ × ประเภทความช่วยเหลือ", "Responsible agency × kind of help"),
    "plans.agency_counts": ("รายการในแผนของรอบนี้: สีคือจำนวนที่ค้าง; เลื่อนเมาส์ดูเสร็จ/ค้าง/เลยกำหนด",
                            "Plan items of the round: colour = open items; hover for done / open / overdue"),
    "plans.cell": ("เสร็จ {done} · ค้าง {open} · เลยกำหนด {overdue}", "done {done} · open {open} · overdue {overdue}"),
    "plans.most_unmet": ("หน่วยงานที่มีความต้องการค้างมากที่สุด", "Agency with the most unmet need"),
    "plans.most_unmet_detail": ("ค้าง {open} รายการ · เลยกำหนด {overdue}", "{open} open items · {overdue} overdue"),
    "plans.most_unmet_note": ("ความต้องการค้าง = รายการที่ยังไม่เริ่มหรือกำลังดำเนินการ",
                              "Unmet need = items not started or in progress"),
    "plans.nothing_open": ("ไม่มีรายการค้าง", "no open items"),
    "plans.steps": ("กระบวนการ 9 ขั้นตอน", "The 9-step process"),
    "plans.steps_matrix": ("สถานะแต่ละขั้นตอนรายพื้นที่", "Status of each step by area"),
    "plans.steps_legend": ("ขั้นสูงสุดที่ดำเนินการเสร็จ", "Highest step done"),
    "plans.no_step_done": ("ยังไม่มีขั้นตอนที่เสร็จ", "No step done yet"),
    "plans.step_status.not_started": ("ยังไม่เริ่ม", "not started"),
    "plans.step_status.in_progress": ("กำลังดำเนินการ", "in progress"),
    "plans.step_status.done": ("เสร็จแล้ว", "done"),
    "plans.steps_of": ("ขั้นตอนของ{area}", "Steps of {area}"),
    "plans.steps_pick": ("เลือกจังหวัดบนแผนที่เพื่อดูวันที่ของแต่ละขั้นตอน", "Pick a province on the map to see each step's dates"),
    "plans.steps_note": ("เลื่อนเมาส์บนตารางสีเพื่อดูวันที่เริ่มและวันที่เสร็จของแต่ละขั้นตอน",
                         "Hover over the grid for each step's start and completion dates"),
    "plans.steps_source": ("รายงานความก้าวหน้าตามขั้นตอนของ ศจพ. จังหวัด/อำเภอ ในคลังข้อมูลชี้เป้า (สถานะล่าสุด)",
                           "Step progress reported by provincial/district ศจพ., Chipao store (latest status)"),
    "plans.started": ("เริ่ม", "started"),
    "plans.completed": ("เสร็จ", "completed"),
    "plans.created": ("สร้าง", "created"),
    "plans.due": ("กำหนดเสร็จ", "due"),
    "plans.targets_title": ("เป้าหมายและการคาดการณ์", "Targets and projection"),
    "plans.target": ("เป้าหมาย", "Target"),
    "plans.projection": ("คาดการณ์ตามอัตราปัจจุบัน", "Projection at the current pace"),
    "plans.pace_title": ("ครัวเรือนเป้าหมายสะสม", "Target households reached, cumulative"),
    "plans.projection_text": (
        "อัตราปัจจุบัน {pace} ครัวเรือน/เดือน (เฉลี่ย {months} เดือนเต็มล่าสุด) · เหลืออีก {remaining} ครัวเรือน · คาดว่าถึงเป้า: {eta}",
        "Current pace {pace} households a month (mean of the last {months} complete months) · {remaining} still to reach · target reached: {eta}"),
    "plans.pace_note": (
        "อัตรา = จำนวนครัวเรือนเป้าหมายที่ได้รับแผนครั้งแรก (วันที่สร้างแผน) เฉลี่ยต่อเดือนใน {months} เดือนเต็มก่อนวันที่ของข้อมูล; คาดการณ์ = เป้าหมายที่เหลือ ÷ อัตรา",
        "Pace = target households given their first plan (plan creation date) per month, averaged over the {months} complete months before the as-of date; projection = households still to reach ÷ pace"),
    "plans.targets_note": (
        "เป้าหมายรายจังหวัดรวมเป็นเป้าหมายประเทศ; ในระบบ = ครัวเรือนที่ระบุว่าอยู่ในโครงการ; เยี่ยม/มีแผน = ในรอบใดก็ได้",
        "Province targets add up to the national one; in the store = households flagged as programme targets; visited / with a plan = in any round"),
    "plans.targets_source": ("เป้าหมายครัวเรือนรายจังหวัด (province_target) และแผนพัฒนาในคลังข้อมูลชี้เป้า",
                             "Province household targets (province_target) and the development plans in the Chipao store"),
    "plans.no_target": ("ไม่มีเป้าหมาย", "no target"),
    "plans.reached": ("ถึงเป้าแล้ว", "reached"),
    "plans.no_pace": ("ไม่มีความคืบหน้าในช่วงนี้", "no recent progress"),
    "plans.too_far": ("เกิน 100 ปีที่อัตราปัจจุบัน", "more than 100 years at the current pace"),
    "plans.stalled": ("งานที่หยุดนิ่ง", "Stalled work"),
    "plans.days_label": ("ไม่เคลื่อนไหวอย่างน้อย (วัน)", "Not moved for at least (days)"),
    "plans.stalled_summary": (
        "{area}: {households} ครัวเรือน ({items} รายการ) ไม่มีความเคลื่อนไหวมาอย่างน้อย {days} วัน",
        "{area}: {households} households ({items} items) have not moved for at least {days} days"),
    "plans.stalled_areas": ("พื้นที่ที่มีงานหยุดนิ่ง ({level})", "Areas with stalled work ({level})"),
    "plans.stalled_households": ("ครัวเรือนที่งานหยุดนิ่ง (ในพื้นที่ที่ท่านรับผิดชอบ)", "Stalled households (in your area)"),
    "plans.stalled_counts": (
        "รายการที่ยังไม่เริ่มหรือกำลังดำเนินการ ซึ่งไม่มีการปรับปรุงมา {days} วันขึ้นไป; ครัวเรือนนับเมื่อทุกรายการค้างหยุดนิ่ง",
        "Items not started or in progress with no change for {days}+ days; a household counts when all its open items are idle"),
    "plans.households_note": ("แสดงไม่เกิน {n} ครัวเรือน เรียงจากหยุดนิ่งนานที่สุด; ส่งออกได้ทั้งหมด (บันทึกการส่งออก)",
                              "At most {n} households shown, longest idle first; the export holds all (exports are logged)"),
    "plans.households_records_only": ("รายชื่อครัวเรือนแสดงเฉพาะเจ้าหน้าที่จังหวัด อำเภอ และตำบล ในพื้นที่ที่รับผิดชอบ",
                                      "Household lists are for province, district and tambon officers, in their own areas"),
    "plans.nothing_stalled": ("ไม่มีงานที่หยุดนิ่ง", "No stalled work"),
    "plans.export_areas": ("ส่งออกพื้นที่ (CSV)", "Export areas (CSV)"),
    "plans.export_households": ("ส่งออกครัวเรือน (CSV)", "Export households (CSV)"),
    "plans.definitions": ("นิยามและวิธีคำนวณ", "Definitions and method"),
    "plans.def.period": (
        "รอบสำรวจเริ่ม 1 มกราคมของปีที่สำรวจ (รอบแรกนับทุกวันที่ก่อนหน้า); การเยี่ยมบ้านนับให้ทุกรอบที่เริ่มแล้ว ณ วันที่เยี่ยม เพราะงานกับครัวเรือนของรอบหนึ่งดำเนินต่อเนื่องหลายปี",
        "A survey round starts on 1 January of its year (the first round takes all earlier dates); a visit counts for every round that had started by its date, since the work on a round's households goes on for years"),
    "plans.def.funnel": (
        "ขั้นตอนนับเฉพาะครัวเรือนที่อยู่ในโครงการ (programme target) และสำรวจในรอบนั้น; รายการในแผนนับทุกครัวเรือนที่มีแผนของรอบนั้น",
        "Funnel stages count programme-target households surveyed in the round; plan items count every household's plan of the round"),
    "plans.def.overdue": ("เลยกำหนด: ยังไม่เริ่มหรือกำลังดำเนินการ และกำหนดเสร็จก่อนวันที่ของข้อมูล",
                          "Overdue: not started or in progress, due before the as-of date"),
    "plans.def.idle": ("วันที่ไม่เคลื่อนไหว: วันที่ของข้อมูลลบวันที่รายการถูกปรับปรุงครั้งล่าสุด (เวลาประเทศไทย)",
                       "Idle days: the as-of date minus the day the item last changed (Thai time)"),
    "plans.def.refresh": (
        "ตัวเลขประมวลผลใหม่ทุกวันและหลังการนำเข้าข้อมูล; การบันทึกความก้าวหน้าจะปรากฏหลังการประมวลผลครั้งถัดไป",
        "Figures are rebuilt daily and after every import; recorded progress appears after the next rebuild"),
    "plans.def.suppressed": ("สำหรับผู้ใช้ทั่วไป จำนวนที่น้อยกว่า 5 แสดงเป็น <5", "For public viewers, counts below 5 show as <5"),
    "plans.household_title": ("แผนพัฒนาครัวเรือน {house}", "Development plan of household {house}"),
    "plans.household_subtitle": ("รายการความช่วยเหลือและการบันทึกความก้าวหน้า", "Items of help and progress recording"),
    "plans.household_none": ("ไม่พบแผนพัฒนาของครัวเรือน {house} ในพื้นที่ของท่าน",
                             "No development plan of household {house} in your area"),
    "plans.plan_of_round": ("แผนของรอบสำรวจ", "Plan of survey round"),
    "plans.back": ("← กลับไปหน้าความก้าวหน้า", "← Back to plan progress"),
    "plans.read_only": ("ดูได้อย่างเดียว: เจ้าหน้าที่ตำบลเป็นผู้บันทึกความก้าวหน้า",
                        "Read only: tambon officers record progress"),
    "plans.form.status": ("สถานะใหม่", "New status"),
    "plans.form.date": ("วันที่", "Date"),
    "plans.form.note": ("บันทึก", "Note"),
    "plans.form.note_hint": ("สิ่งที่ทำ/เหตุผล", "What was done / why"),
    "plans.form.save": ("บันทึก", "Save"),
    "plans.saved": ("บันทึกแล้ว: {status} ({date}) — ตัวเลขภาพรวมจะปรับหลังการประมวลผลครั้งถัดไป",
                    "Saved: {status} ({date}) — the progress figures follow after the next rebuild"),
    "plans.err.role": ("เฉพาะเจ้าหน้าที่ตำบลเท่านั้นที่บันทึกความก้าวหน้าได้", "Only tambon officers may record progress"),
    "plans.err.status_unknown": ("ไม่รู้จักสถานะ {status}", "Unknown status {status}"),
    "plans.err.not_in_scope": ("รายการ {item_id} ไม่อยู่ในพื้นที่ที่ท่านรับผิดชอบ", "Plan item {item_id} is not in your area"),
    "plans.err.same_status": ("รายการนี้มีสถานะ {status} อยู่แล้ว", "The item is already {status}"),
    "plans.err.transition": ("รายการที่ {old} เปลี่ยนเป็น {new} ไม่ได้", "An item that is {old} cannot become {new}"),
    "plans.err.note_required": ("กรุณาระบุเหตุผลในบันทึก เมื่อเปลี่ยนจาก {old} เป็น {new}",
                                "Please say why in the note when {old} becomes {new}"),
    "plans.err.date_future": ("วันที่ {date} เป็นวันในอนาคต (วันนี้ {today})", "{date} is in the future (today is {today})"),
    "plans.err.date_before_created": ("วันที่ {date} อยู่ก่อนวันที่สร้างรายการ ({created})",
                                      "{date} is before the item was created ({created})"),
    "plans.err.date_before_started": ("วันที่เสร็จ {date} อยู่ก่อนวันที่เริ่ม ({started})",
                                      "Completion {date} is before the start ({started})"),
    "plans.err.date_missing": ("กรุณาระบุวันที่", "Please give a date"),
    "plans.err.date_invalid": ("วันที่ไม่ถูกต้อง (ไม่มีวันนี้ในปฏิทิน)", "Not a valid date (no such day)"),
    "plans.form.current": ("สถานะปัจจุบัน", "current"),
    "plans.form.day": ("วัน", "Day"),
    "plans.back_household": ("← กลับไปสมุดพกครอบครัวของครัวเรือนนี้", "← Back to this household's family notebook"),
    "plans.err.note_long": ("บันทึกยาวเกินไป", "The note is too long"),
})

# ── /centres: social-help centres, coverage, gaps and the planner (issue 6) ──
STRINGS.update({
    "centres.title": ("ศูนย์ช่วยเหลือสังคมตำบล: การเข้าถึงและช่องว่างบริการ",
                      "Tambon social-help centres: reach and service gaps"),
    "centres.area": ("พื้นที่", "Area"),
    "centres.province": ("จังหวัด", "Province"),
    "centres.district": ("อำเภอ", "District"),
    "centres.all_provinces": ("ทั้งประเทศ", "Whole country"),
    "centres.all_districts": ("ทุกอำเภอ", "All districts"),
    "centres.distance": ("ระยะทาง (กม.)", "Distance (km)"),
    "centres.distance_note": ("ครัวเรือนที่อยู่ห่างจากศูนย์ที่เปิดให้บริการที่ใกล้ที่สุดน้อยกว่าระยะนี้ นับว่า \"เข้าถึง\"",
                              "Households closer than this to the nearest open centre count as \"within reach\""),
    "centres.view": ("แผนที่", "Map"),
    "centres.view.poverty": ("ความยากจน", "Poverty"),
    "centres.view.bivariate": ("ความยากจน × ระยะทาง", "Poverty × distance"),
    "centres.measure": ("ตัวชี้วัดบนแผนที่", "Map measure"),
    "centres.level": ("แสดงระดับ", "Show"),
    "centres.level.1": ("จังหวัด", "Provinces"),
    "centres.level.2": ("อำเภอ", "Districts"),
    "centres.level.3": ("ตำบล", "Tambons"),
    "centres.status": ("สถานะศูนย์", "Centre status"),
    "centres.status.open": ("เปิดให้บริการ", "Open"),
    "centres.status.planned": ("อยู่ระหว่างจัดตั้ง", "Planned"),
    "centres.status.closed": ("ปิดแล้ว", "Closed"),
    "centres.services": ("บริการ", "Services"),
    "centres.services_any": ("ทุกบริการ", "Any service"),
    "centres.kpi.within": ("ครัวเรือนยากจนที่เข้าถึงศูนย์ภายใน {d} กม.",
                           "Poor households within {d} km of an open centre"),
    "centres.kpi.within_detail": ("{n} จาก {total} ครัวเรือนยากจนที่มีพิกัด",
                                  "{n} of {total} located poor households"),
    "centres.kpi.beyond": ("ครัวเรือนยากจนที่อยู่ไกลกว่า {d} กม.",
                           "Poor households farther than {d} km"),
    "centres.kpi.beyond_detail": ("ระยะเฉลี่ยของครัวเรือนยากจนถึงศูนย์ที่ใกล้ที่สุด {km} กม.",
                                  "Mean distance of poor households to the nearest open centre: {km} km"),
    "centres.kpi.no_centre": ("ในจำนวนนี้ {n} ครัวเรือนไม่มีศูนย์ที่เปิดให้บริการเลย",
                              "{n} of them have no open centre at all"),
    "centres.kpi.tambons": ("ตำบลที่มีศูนย์เปิดให้บริการ", "Tambons with an open centre"),
    "centres.kpi.tambons_detail": ("{n} จาก {total} ตำบล · ไม่มีศูนย์ {without} ตำบล (มีแผนจัดตั้ง {planned})",
                                   "{n} of {total} tambons · {without} without (planned in {planned})"),
    "centres.kpi.provinces": ("จังหวัดที่มีเครือข่ายศูนย์", "Provinces with a centre network"),
    "centres.kpi.provinces_detail": ("{n} จาก {total} จังหวัด · เป้าหมาย {target} จังหวัด ภายในปี 2566",
                                     "{n} of {total} provinces · target: {target} by B.E. 2566"),
    "centres.kpi.provinces_missing": ("ยังไม่มีศูนย์: {names}", "No centre yet: {names}"),
    "centres.kpi.centres": ("ศูนย์ในพื้นที่", "Centres in the area"),
    "centres.kpi.centres_detail": ("เปิด {open} · อยู่ระหว่างจัดตั้ง {planned}",
                                   "{open} open · {planned} planned"),
    "centres.coverage_note": (
        "ระยะทางเป็นเส้นตรงบนผิวโลก (ทรงรี WGS84) จากที่ตั้งครัวเรือนถึงศูนย์ที่เปิดให้บริการที่ใกล้ที่สุด "
        "นับเฉพาะครัวเรือนที่มีพิกัด ยากจนตามเกณฑ์ TPMAP",
        "Straight-line distance on the WGS84 spheroid from each household's location to the "
        "nearest open centre; only households with a location; poor by the TPMAP rule"),
    "centres.unlocated": ("ครัวเรือนยากจนที่ไม่มีพิกัด {n} ครัวเรือน ไม่ได้นับรวม",
                          "{n} poor households without a location are not counted"),
    "centres.source_centres": ("ทะเบียนศูนย์ช่วยเหลือสังคม: เปิด {open} ศูนย์ · คำนวณระยะทางเมื่อ {at}",
                               "Centre register: {open} open centres · distances computed {at}"),
    "centres.map_title.poverty": ("{measure} (ร้อยละของครัวเรือนที่สำรวจ) และที่ตั้งศูนย์",
                                  "{measure} (share of households surveyed) and the centres"),
    "centres.map_title.bivariate": ("ความยากจน × ระยะทางถึงศูนย์ที่ใกล้ที่สุด",
                                    "Poverty × distance to the nearest open centre"),
    "centres.legend.poverty_axis": ("สัดส่วนครัวเรือนยากจน", "Share of households poor"),
    "centres.legend.distance_axis": ("ระยะเฉลี่ยของครัวเรือนยากจนถึงศูนย์", "Mean distance of poor households to a centre"),
    "centres.legend.low": ("ต่ำ", "low"),
    "centres.legend.mid": ("กลาง", "middle"),
    "centres.legend.high": ("สูง", "high"),
    "centres.legend.too_few": ("สำรวจน้อยกว่า {n} ครัวเรือน", "Fewer than {n} households surveyed"),
    "centres.legend.centres": ("ศูนย์", "Centres"),
    "centres.legend.suggested": ("ที่ตั้งที่เสนอ", "Suggested sites"),
    "centres.hover.opened": ("เปิดเมื่อ", "Opened"),
    "centres.hover.tambon": ("ตำบล", "Tambon"),
    "centres.hover.services": ("บริการ", "Services"),
    "centres.hover.poverty": ("ครัวเรือนยากจน", "Poor"),
    "centres.hover.mean_km": ("ระยะเฉลี่ยถึงศูนย์", "Mean distance to a centre"),
    "centres.hover.beyond": ("ไกลกว่า {d} กม.", "farther than {d} km"),
    "centres.gap.title": ("พื้นที่ที่มีช่องว่างบริการมากที่สุด", "Largest service gaps"),
    "centres.gap.note": (
        "ครัวเรือนยากจนที่อยู่ไกลกว่า {d} กม. จากศูนย์ที่เปิดให้บริการ; คะแนนช่องว่าง = ผลรวมระยะทางส่วนที่เกิน {d} กม. ของครัวเรือนเหล่านั้น (ครัวเรือน-กม.)",
        "Poor households farther than {d} km from an open centre; gap score = the sum of "
        "their distances beyond {d} km (household-km)"),
    "centres.gap.level": ("จัดอันดับ", "Rank"),
    "centres.gap.sort": ("เรียงตาม", "Order by"),
    "centres.gap.sort.beyond": ("ครัวเรือนยากจนที่อยู่ไกล", "Poor households beyond"),
    "centres.gap.sort.gap": ("คะแนนช่องว่าง", "Gap score"),
    "centres.gap.sort.share": ("สัดส่วนที่อยู่ไกล", "Share beyond"),
    "centres.gap.sort.poverty": ("สัดส่วนครัวเรือนยากจน", "Poverty share"),
    "centres.gap.export": ("ดาวน์โหลด CSV ทั้งหมด", "Download the full list (CSV)"),
    "centres.col.area": ("พื้นที่", "Area"),
    "centres.col.in": ("อยู่ใน", "In"),
    "centres.col.poor": ("ครัวเรือนยากจน (มีพิกัด)", "Poor households (located)"),
    "centres.col.beyond": ("ไกลกว่า {d} กม.", "Beyond {d} km"),
    "centres.col.share_beyond": ("ร้อยละที่อยู่ไกล", "% beyond"),
    "centres.col.gap": ("คะแนนช่องว่าง (ครัวเรือน-กม.)", "Gap score (household-km)"),
    "centres.col.mean_km": ("ระยะเฉลี่ย (กม.)", "Mean distance (km)"),
    "centres.col.centres": ("ศูนย์ที่เปิด", "Open centres"),
    "centres.col.poverty": ("ร้อยละครัวเรือนยากจน", "% poor"),
    "centres.plan.title": ("ควรตั้งศูนย์ใหม่ที่ไหน", "Where to open next"),
    "centres.plan.intro": (
        "เลือกตำบลสำหรับศูนย์ใหม่ N แห่ง ทีละแห่ง โดยแต่ละครั้งเลือกตำบลที่ทำให้ครัวเรือนยากจนที่ยังอยู่ไกลกว่า {d} กม. "
        "เข้าถึงศูนย์ได้มากที่สุด (วิธีละโมบแบบครอบคลุมสูงสุด) จุดที่ตั้งคือจุดศูนย์กลางของครัวเรือนในตำบล",
        "Chooses tambons for N new centres one at a time, each time the tambon that brings the "
        "most poor households now farther than {d} km within reach (greedy maximal coverage). "
        "A site is the tambon's populated centroid (mean location of its households)."),
    "centres.plan.n": ("จำนวนศูนย์ใหม่ (N)", "New centres (N)"),
    "centres.plan.only_without": ("เฉพาะตำบลที่ยังไม่มีศูนย์", "Only tambons without a centre"),
    "centres.plan.run": ("คำนวณ", "Suggest sites"),
    "centres.plan.cancel": ("ยกเลิก", "Cancel"),
    "centres.plan.progress": ("กำลังคำนวณ…", "Working…"),
    "centres.plan.step.load": ("อ่านข้อมูลครัวเรือนยากจนที่อยู่ไกล", "Reading poor households beyond reach"),
    "centres.plan.step.sets": ("หาครัวเรือนในระยะของแต่ละตำบล", "Finding who each site would reach"),
    "centres.plan.step.choose": ("เลือกที่ตั้ง {i} จาก {n}", "Choosing site {i} of {n}"),
    "centres.plan.before": ("ก่อน", "Before"),
    "centres.plan.after": ("หลังตั้งศูนย์ใหม่ {n} แห่ง", "After {n} new centres"),
    "centres.plan.summary": ("ครัวเรือนยากจนที่เข้าถึงศูนย์ภายใน {d} กม.: {before} → {after} ({added} ครัวเรือน)",
                             "Poor households within {d} km of a centre: {before} → {after} ({added} households)"),
    "centres.plan.none": ("ไม่มีตำบลใดช่วยให้ครัวเรือนยากจนเข้าถึงศูนย์เพิ่มขึ้น", "No site would bring any more poor households within reach"),
    "centres.plan.fewer": ("เสนอได้ {k} แห่ง: ตำบลอื่นไม่ช่วยให้เข้าถึงเพิ่มขึ้น",
                           "{k} sites suggested: no other site adds coverage"),
    "centres.plan.note": (
        "นับครัวเรือนโดยรวมเป็นช่องกริดขนาดประมาณ 1 กม. (ตำแหน่งเฉลี่ยของครัวเรือนในช่อง) จึงอาจคลาดเคลื่อนได้ใกล้ขอบระยะทาง; "
        "วิธีละโมบรับประกันผลไม่ต่ำกว่าร้อยละ 63 ของการเลือกที่ดีที่สุด",
        "Households are counted in ~1 km grid cells (at the mean location of each cell's "
        "households), so counts near the distance limit are approximate; greedy is "
        "guaranteed at least 63 % of the best possible choice"),
    "centres.plan.export_csv": ("ดาวน์โหลด CSV", "Download CSV"),
    "centres.plan.export_xlsx": ("ดาวน์โหลด Excel", "Download Excel"),
    "centres.plan.summary_label": ("ผลการคำนวณ", "Result"),
    "centres.plan.col.rank": ("ลำดับ", "#"),
    "centres.plan.col.tambon": ("ตำบล", "Tambon"),
    "centres.plan.col.district": ("อำเภอ", "District"),
    "centres.plan.col.new": ("ครัวเรือนยากจนที่เข้าถึงเพิ่ม", "Poor households newly within reach"),
    "centres.plan.col.cumulative": ("สะสม", "Cumulative"),
    "centres.plan.col.coverage": ("ร้อยละที่เข้าถึง", "% within reach"),
    "centres.plan.col.has_centre": ("มีศูนย์/แผนแล้ว", "Has a centre/plan"),
    "centres.plan.households": ("รายชื่อครัวเรือนที่ศูนย์นี้จะช่วยให้เข้าถึง (เฉพาะพื้นที่ที่ท่านรับผิดชอบ)",
                                "Households this site would bring within reach (your areas only)"),
    "centres.plan.pick_site": ("เลือกที่ตั้ง", "Pick a site"),
    "centres.plan.list_note": ("รายการคำนวณจากพิกัดจริงของแต่ละครัวเรือน (แสดงสูงสุด {n} รายการ) การเปิดดูถูกบันทึกไว้",
                               "Computed from each household's own location (at most {n} shown); viewing is logged"),
    "centres.plan.col.house": ("รหัสบ้าน", "House ID"),
    "centres.plan.col.village": ("หมู่ที่", "Village"),
    "centres.plan.col.site_km": ("ระยะถึงที่ตั้ง (กม.)", "To the site (km)"),
    "centres.plan.col.nearest_km": ("ระยะถึงศูนย์ปัจจุบัน (กม.)", "To the nearest open centre now (km)"),
    "centres.plan.no_households": ("ไม่มีครัวเรือนในพื้นที่ของท่าน", "No households in your areas"),
    "centres.plan.error": ("คำนวณไม่สำเร็จ", "The planner failed"),
    "centres.no_coverage": ("ยังไม่ได้คำนวณระยะทางถึงศูนย์ — รัน `python -m chipao refresh-coverage`",
                            "Distances to centres have not been computed — run `python -m chipao refresh-coverage`"),
})

# ── shared by every page: the survey round, services ──
STRINGS.update({
    "round.fallback": (
        "{asked} ยังไม่มี{what} — แสดง {shown} รอบล่าสุดที่มีข้อมูลนี้",
        "{asked} has no {what} yet — showing {shown}, the latest round that has them"),
    "round.what.plans": ("แผนพัฒนาครัวเรือน", "household plans"),
    "rec.update_item": ("บันทึกความก้าวหน้า", "Update"),
    "rec.update_plan": ("บันทึกความก้าวหน้าของแผน", "Record plan progress"),
    "service.counselling": ("ให้คำปรึกษา", "Counselling"),
    "service.welfare_registration": ("ลงทะเบียนสวัสดิการ", "Welfare registration"),
    "service.elderly_care": ("ดูแลผู้สูงอายุ", "Elderly care"),
    "service.disability_support": ("ช่วยเหลือคนพิการ", "Disability support"),
    "service.child_care": ("ดูแลเด็ก", "Child care"),
    "service.job_referral": ("จัดหางาน", "Job referral"),
    "service.emergency_relief": ("ช่วยเหลือฉุกเฉิน", "Emergency relief"),
    "service.legal_aid": ("ช่วยเหลือทางกฎหมาย", "Legal aid"),
})


def service_label(code: str, lang: Lang | None = None) -> str:
    """A centre service in the reader's language; a service the catalogue of strings
    does not know (a deployment's own) is shown as its code, spaced."""
    key = f"service.{code}"
    return t(key, lang) if key in STRINGS else code.replace("_", " ")
