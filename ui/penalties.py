"""Display labels of a penalty's fields (the detail card of 监管录入)."""

from __future__ import annotations

DETAIL_LABELS = {
    "decision_no": "行政处罚决定书文号",
    "entity_name": "行政相对人名称",
    "uscc": "统一社会信用代码",
    "legal_rep": "法定代表人",
    "violation_type": "违法行为类型",
    "facts": "违法事实",
    "basis": "处罚依据",
    "category": "处罚类别",
    "content": "处罚内容",
    "fine_wan": "罚款金额（万元）",
    "confiscation_wan": "没收违法所得、没收非法财物的金额（万元）",
    "decision_date": "处罚决定日期",
    "valid_until": "处罚有效期",
    "publish_until": "公示截止期",
    "authority": "处罚机关",
    "data_source_unit": "数据来源单位",
    "source": "数据源",
    "imported_at": "抽取时间",
    "run_id": "抽取批次",
}
