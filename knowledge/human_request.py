"""Whether a message asks for a person (an agent, a call back, a complaint): the FAQ matcher
hands such a message over before it looks for an answer.

Moved out of `knowledge.matcher` (which re-exports `asks_for_human`); runs on normalised text.
"""

from __future__ import annotations

import re

# --- asking for a human ----------------------------------------------------------------------
_AGENT = r"(petugas|admin|operator|cs|customer service|layanan pelanggan|manusia|agen|agent|staf|staff|pegawai|helpdesk|call center|human|person|someone|real person|orang asli|officer)"
_HUMAN_PATTERNS = [
    re.compile(r"\b(bicara|berbicara|ngomong|chat|hubungkan|dihubungkan|sambungkan|disambungkan|hubungi|terhubung|sambung|minta|mau|ingin|butuh|perlu|panggil|panggilkan|tolong|talk|speak|connect|dibantu|dilayani|ditangani|dihubungi|dihubungin|dikontak|ditelepon|ditelpon)\b.{0,40}\b" + _AGENT + r"\b"),
    re.compile(r"\b(bicara|berbicara|ngomong|ngobrol|chat) (dengan|sama|ke|pada) (orang|orangnya|seseorang)\b(?! tua)"),
    # "butuh bantuan orang langsung", "ngomong sama orangnya langsung": a person, not the bot
    re.compile(r"\b(bantuan|dibantu|dilayani|ngomong|bicara|tanya|ketemu|butuh|mau|ingin) (sama |dengan |ke )?(orang|orangnya|manusia) langsung\b"),
    re.compile(r"\b(ada|adakah)\b.{0,20}\b" + _AGENT + r"\b.{0,40}\b(bantu|membantu|bantuin|layani|melayani|jawab|menjawab|ditanya|ditanyai|dihubungi|ditelepon|telepon|hubungi|chat|dichat|kontak|dikontak|call|whatsapp|wa|contact|reach|talk|speak)\b"),
    re.compile(r"\b(bukan|jangan|tanpa|selain|not|no)\b( (sama|dengan|ke|a|the))? (bot|robot|mesin|chatbot|machine)\b"),
    re.compile(r"\b(orang|manusia) (beneran|benaran|benar|asli|sungguhan|nyata)\b"),
    # ("officer" and "operator" read as "petugas")
    re.compile(r"\b(real|actual|live) (person|human|people|agent|officer|petugas)\b"),
    # a complaint is for a person, unless the message asks where to take one: that is the
    # knowledge base's question ("kemana lapor pelayanan buruk", "where do I report bad service")
    re.compile(r"^(?!.*\b(mana|kemana|dimana|where)\b).*\b(komplain|complain|complaint|keluhan|"
               r"mengeluh|mengadu|pengaduan)\b"),
    re.compile(r"^(petugas|admin|operator|cs|customer service|layanan pelanggan|helpdesk|human|agent|manusia)( (dong|tolong|please|pls|plz|mohon|saja|aja))?$"),
    # a message opening with a request for "the operator" ("tolong operatornya saja, saya
    # sudah tua"); elsewhere "petugasnya" is mostly someone in the story ("petugasnya ketus")
    re.compile(r"^(tolong|minta|mohon|mau|ingin)( (sama|dengan|ke))? (petugasnya|operatornya|adminnya)\b"),
    # "operator manusia", "petugas asli": an agent who is a person
    re.compile(r"\b(petugas|admin|operator|cs|agen|staf|staff|pegawai) (manusia|asli|beneran)\b"),
    # being called back ("call me back", "telepon saya balik"): only a person can do that
    re.compile(r"\b(call|ring|phone) (saya|kami|us|him|her)( back)?\b|\bcall back\b"),
    re.compile(r"\b(telepon|hubungi|chat) (saya|kami|aku) (balik|kembali)\b"),
    # asking to be phoned ("minta tolong telponin saya", "bisa telepon saya?")
    re.compile(r"\b(minta|tolong|mohon|bisa|bisakah)\b.{0,20}\b(telepon|telpon|telponin|"
               r"teleponin|telfon|telfonin)\b (saya|aku|kami)\b"),
    # who to contact, someone to write to, "give me an officer", "forward my case to a staff
    # member": a person is what the message asks for (English of people who never saw the bot)
    re.compile(r"\bsiapa\b.{0,25}\b(can|could|should|do) (i|we)\b.{0,15}\b(kontak|contact|call|hubungi|telepon|whatsapp)\b"),
    re.compile(r"\b(somebody|someone|anyone|seseorang)\b.{0,40}\b(whatsapp|call|telepon|kontak|contact|hubungi|talk|speak)\b"),
    re.compile(r"\b(give|get|beri|kasih) (me|saya|aku|us|kami) (an? )?(officer|agent|human|person|petugas|operator|admin|staff|staf)\b"),
    re.compile(r"\b(transfer|oper|operkan|alihkan|sambungkan|pass) (saya|aku|kami|me|us)\b.{0,20}\b" + _AGENT + r"\b"),
    re.compile(r"\b(nomor|number|kontak|contact)\b.{0,30}\b(person|someone|somebody|seseorang)\b"),
    re.compile(r"\b(forward|escalate|teruskan)\b.{0,40}\b(staff|staf|petugas|officer|agent|supervisor|atasan)\b"),
    # the agent first, then being contacted ("petugas tolong hubungi saya", "admin, telpon kami")
    re.compile(r"\b" + _AGENT + r",? (tolong |mohon |bisa |please |pls )?(hubungi|hubungin|telepon|"
               r"telpon|telponin|kontak|contact|call) (saya|aku|kami|me|us)\b"),
    # a consultation in person ("mau konsultasi langsung"): a person's job, not a bot's
    re.compile(r"\bkonsultasi (langsung|tatap muka|secara langsung)\b"),
]


def asks_for_human(normalized: str) -> bool:
    return any(p.search(normalized) for p in _HUMAN_PATTERNS)
