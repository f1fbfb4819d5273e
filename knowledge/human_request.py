"""Whether a message asks for a person (an agent, a call back, a complaint): the FAQ matcher
hands such a message over before it looks for an answer.

Moved out of `knowledge.matcher` (which re-exports `asks_for_human`); runs on normalised text.
"""

from __future__ import annotations

import re

# --- asking for a human ----------------------------------------------------------------------
_AGENT = r"(petugas|admin|operator|cs|customer service|layanan pelanggan|manusia|agen|agent|staf|staff|pegawai|helpdesk|call center|call centre|hotline|helpline|human|person|someone|real person|orang asli|officer|supervisor|manager|representative|atasan|pimpinan)"
# A question word between the plea and the agent makes it a question about what to do with an
# officer ("tolong, berkas apa yang harus disampaikan ke petugas?"), not a request for one; a
# complaint word makes it a complaint about one ("mau komplain pelayanan petugas, ke mana ya?"),
# which the complaint pattern below decides
_PLEA_GAP = (r"(?:(?!\b(?:apa|apakah|bagaimana|gimana|berapa|kapan|kenapa|mengapa|dimana|kemana|"
                r"mana|what|which|how|when|why|where|komplain|complain|mengeluh|mengadu|mengadukan|"
                r"adukan|lapor|melapor|melaporkan|laporkan|report)\b).)")
_HUMAN_PATTERNS = [
    re.compile(r"\b(bicara|berbicara|ngomong|chat|hubungkan|dihubungkan|sambungkan|disambungkan|hubungi|terhubung|sambung|minta|mau|ingin|panggil|panggilkan|tolong|talk|speak|connect|dibantu|dilayani|ditangani|dihubungi|dihubungin|dikontak|ditelepon|ditelpon)\b" + _PLEA_GAP + r"{0,40}\b" + _AGENT + r"\b"),
    # needing an officer, unless the message asks whether something of one is needed ("apakah
    # perlu tanda tangan petugas")
    re.compile(r"^(?!(apa|apakah|do|does|is|should)\b).*\b(butuh|perlu)\b" + _PLEA_GAP + r"{0,40}\b"
               + _AGENT + r"\b"),
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
    # ("bukan mau komplain, cuma tanya ...": a question, said not to be a complaint)
    re.compile(r"^(?!.*\b(mana|kemana|dimana|where)\b)(?!.*\b(bukan|tidak|not|no)( (mau|ingin|untuk|"
               r"to|a|mean to))? (komplain|complain|complaining|mengeluh|pengaduan)\b).*\b(komplain|complain|"
               r"complaint|keluhan|"
               r"mengeluh|mengadu|mengadukan|adukan|aduan|pengaduan)\b"),
    re.compile(r"^(petugas|admin|operator|cs|customer service|layanan pelanggan|helpdesk|human|agent|manusia|representative|supervisor|hotline|call center)( (dong|tolong|please|pls|plz|mohon|saja|aja))?$"),
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
    # a person, bare ("saya mau orang saja", "i want a person"): not "orang tua", not "orang
    # lain" (someone else in the story), and only at the end of the request
    re.compile(r"\b(mau|ingin|minta|butuh|perlu|want|need|prefer)( (sama|dengan|ke|to talk to|"
               r"to speak to|to speak with|to talk with))? (a |an )?(orang|orangnya|manusia|"
               r"person|human|people|someone|somebody)( (saja|langsung|asli|beneran|please|pls))?"
               r"(?= *$|[,.!?])"),
    # "ngomong kalih tiyang", "bicara karo wong": regional "with a person"
    re.compile(r"\b(bicara|ngomong|matur|nyarios) (kalih|karo|jo|samo|sareng|ka) "
               r"(orang|orangnya|wong|urang|jalmi|manusia|petugas)\b(?! tua)"),
    # is anyone there ("halo ada orang?", "kok tidak ada yang balas, ada orang tidak?")
    re.compile(r"\bada orang(nya)?( (tidak|nggak|enggak))?$|\b(anybody|anyone|somebody|someone) "
               r"(ada|here)\b"),
    # the bot failing the person: a person has to take over ("jawabannya tidak nyambung",
    # "bot bego", "this bot doesn't understand me", "saya kecewa dengan jawabannya")
    re.compile(r"\b(jawaban|jawabannya|jawabanmu|bot|botnya|robot|robotnya|chatbot|mesin|kamu|"
               r"anda|you|this|answer|answers)\b.{0,25}\b(tidak|kurang|belum|doesnt|dont|does "
               r"not|do not|not|nor) (terhubung|membantu|jelas|sesuai|paham|mengerti|tepat|benar|"
               r"understand|help|helpful|helping|answer|answering|make sense)\b"),
    re.compile(r"\b(tidak|belum) (mengerti|paham) (botnya|robotnya|bot|robot)\b"),
    re.compile(r"\b(tidak|belum) (dijawab|dibalas) (dengan )?(benar|jelas|tepat)\b"),
    # going round in circles ("dari tadi berputar-putar terus", "jawabannya itu itu saja")
    re.compile(r"\b(berputar|muter) (berputar |muter )?terus\b|\bjawaban(nya|mu)? (itu itu|sama) "
               r"(saja|terus|lagi)\b|\b(going|go) (round|around) in circles\b"),
    # "tidak usah pakai bot, langsung ke manusianya saja", "tolong dicek sama orang"
    re.compile(r"\b(tidak|nggak|enggak) (usah|perlu|mau) (pakai|dengan|sama|lewat) (bot|robot|mesin|"
               r"chatbot)\b"),
    re.compile(r"\b(langsung )?(ke|sama|dengan) (manusianya|orangnya|petugasnya)( (saja|langsung))?$"),
    re.compile(r"\b(dicek|dicekkan|diperiksa|dilihat|ditangani|diurus|dibantu|dijelaskan|dijelasin|"
               r"diterangkan) (sama|oleh|dengan) "
               r"(orang|manusia|petugas|admin|operator)\b(?! tua)"),
    # talking or asking directly ("saya ingin bicara ... kantor kemenag langsung")
    re.compile(r"\b(bicara|berbicara|ngomong|tanya|bertanya)\b.{0,40}\blangsung$"),
    # who to contact directly ("siapa yang bisa saya hubungi langsung"; without "langsung" it asks
    # which office handles a matter, which an entry answers)
    re.compile(r"\bsiapa\b.{0,25}\b(hubungi|kontak|telepon|telpon|dihubungi|dikontak|ditelepon) "
               r"langsung\b"),
    # a bare report ("lapor min", "mau lapor pak")
    re.compile(r"^((saya )?(mau|ingin) )?(lapor|melapor|report)$"),
    # an emergency or a pilgrim lost during the season: a person, at once
    re.compile(r"\b(hotline|helpline)\b"),
    # a report or a case left without follow-up ("laporan saya tidak ditindaklanjuti"), a demand
    re.compile(r"\b(tidak|belum) (ditindaklanjuti|diproses|ditanggapi|direspon|direspons)\b"),
    re.compile(r"\b(demand|demanding|menuntut|tuntut)\b"),
    # someone to put it right ("siapa yang bisa perbaiki?", "who can fix it"): a person's job
    re.compile(r"\b(siapa|who)\b.{0,20}\b(bisa|dapat|can|could|will)\b (perbaiki|memperbaiki|betulkan|"
               r"membetulkan|benerin|bantu|membantu|fix|correct|help)\b"),
    # help, urgently ("please help urgent"); reporting someone ("i want to report it")
    re.compile(r"\b(help|tolong|bantu)\b.{0,15}\b(urgent|urgently|darurat)\b|\b(urgent|urgently)\b"
               r".{0,15}\bhelp\b"),
    re.compile(r"^(?!.*\b(mana|kemana|dimana|where|how|bagaimana|cara)\b).*\b(mau|ingin|akan|hendak|"
               r"want to|need to|would like to|will) (lapor|melapor|melaporkan|laporkan|report)\b"),
    re.compile(r"\b(darurat|emergency|gawat|sos)\b|\b(tertinggal|ketinggalan) (rombongan|kloter|"
               r"pesawat)\b|\b(stuck|stranded|lost|hilang) (in|di) (jeddah|mekkah|makkah|mecca|madinah|medina|"
               r"saudi|arab|tanah suci|mina|arafah|arafat|muzdalifah)\b"),
    # a private chat ("japri dong", "DM min"), a formal objection ("ajukan keberatan")
    re.compile(r"^(jalur pribadi|dm|pm|inbox|direct message)( (saya|aku|ya))?$|\bchat pribadi\b|"
               r"\bprivate (chat|message)\b"),
    re.compile(r"\b(ajukan|mengajukan|menyampaikan|sampaikan) keberatan\b|\bkeberatan resmi\b"),
    # tired of the bot ("males sama bot", "capek chat sama robot")
    re.compile(r"\b(malas|males|capek|lelah|bosan|bosen|kesal|kesel|sebal|sebel|muak)\b( (sama|dengan|"
               r"chat sama|bicara sama))? (bot|botnya|robot|robotnya|mesin|chatbot)\b"),
    # asking to be phoned ("nyuwun tulung dipun telpon", "bisakah saya dihubungi melalui telepon")
    re.compile(r"\b(minta|mohon|tolong|tulung|bisa|bisakah|harap|ingin|mau)\b.{0,20}\b(ditelepon|"
               r"ditelpon|ditelfon|dihubungi|dikontak|dipun telepon|dipun telpon)\b"),
    re.compile(r"\b(bicara|ngomong|ngobrol|chat) (dengan|sama|ke|pada) (petugasnya|adminnya|"
               r"operatornya)\b"),
    re.compile(r"\b(bantu|bantuin|tolong|tolongin|layani) (saya|aku|kami) langsung\b"),
    # asking someone to check one's data because something in it is wrong ("tolong cekin porsi
    # ibu saya, datanya kok beda", "mohon dicekkan data bapak, namanya salah"): the benefactive
    # -in / -kan and the passive di- ask a person to look ("cekin" is read as "cek", so plain
    # "cek" too). Without a problem told, "tolong cekin porsi ibu saya" is the status check the
    # bot does itself once it has the number (the knowledge base's answer asks for it), as for
    # a bare "tolong cek porsi saya"
    re.compile(r"^(?=.*\b(tolong|mohon|minta|tulung) (cek|cekin|cekkan|dicek|dicekin|dicekkan|"
               r"cekain|periksakan|diperiksa)\b)(?=.*\b(beda|berbeda|salah|keliru|aneh|hilang|"
               r"batal|dibatalkan|tidak ada|gak ada|ga ada|nggak ada|tidak muncul|gak muncul|"
               r"tidak sesuai|tidak cocok|berubah|error)\b)"),
    # needing help in person ("kami butuh pendampingan langsung"): no bot gives that; an elderly
    # pilgrim's companion ("butuh pendamping lansia") is the knowledge base's matter
    re.compile(r"\b(butuh|perlu|minta|mohon|ingin|mau)\b.{0,20}\b(pendampingan|bantuan|didampingi|"
               r"dibantu) (secara )?(langsung|tatap muka)\b"),
    re.compile(r"\b(can|could|would|will) (someone|somebody|anyone|anybody) (help|assist|call|contact|"
               r"reach)\b"),
    re.compile(r"\b(tolong|minta|mohon) (petugasnya|operatornya|adminnya)( (saja|dong|ya))?$"),
    re.compile(r"\b(bot|botnya|robot|robotnya|mesin|chatbot|you|this)\b( (are|is|adalah|ini))? "
               r"(bodoh|bego|goblok|tolol|payah|useless|stupid|dumb|tidak berguna)\b"),
    re.compile(r"\b(kecewa|disappointed|frustrated|frustasi|frustrasi)\b(.{0,30}\b(jawaban|jawabannya|"
               r"bot|botnya|robot|pelayanan|layanan|petugas|kantor|bank|answer|answers|service|you)\b"
               r"| *$)"),
    re.compile(r"\b(tidak|belum) (dibalas|dijawab|direspon|ditanggapi)\b.{0,30}\b(orang|petugas|"
               r"admin)\b"),
    # being phoned back ("minta ditelepon balik"), a number to reach an officer on
    re.compile(r"\b(minta|mohon|tolong|bisa|bisakah|ingin|mau|harap)\b.{0,15}\b(ditelepon|ditelpon|"
               r"ditelfon|dihubungi|dikontak) (balik|kembali)\b"),
    re.compile(r"\b(nomor|nomer|kontak|contact|number)( (whatsapp|telepon|telpon|hp|handphone|"
               r"phone))?\b.{0,12}\b(petugas|admin|cs|operator|officer|staff|staf|pegawai)\b"),
    # a case passed up or over ("tolong sampaikan ke atasan", "hubungkan saya ke bagian haji",
    # "please escalate my case"), a dispute for an officer to settle
    re.compile(r"\b(sampaikan|teruskan|laporkan|naikkan) (ke|kepada) (atasan|pimpinan|kepala)\b"),
    re.compile(r"\b(hubungkan|sambungkan|alihkan|oper|operkan|transfer) (saya|aku|kami)? ?(ke|dengan|"
               r"sama) (bagian|seksi|kantor|orang)\b"),
    re.compile(r"\bescalate\b|\b(mediasi|mediator)\b"),
    # the message itself handed on ("mohon pertanyaan saya diteruskan kepada petugas yang
    # berwenang"), not a question about what to hand in ("berkas apa yang disampaikan ke
    # petugas?": no "apa" between the plea and the verb)
    re.compile(r"\b(mohon|tolong|minta|harap|bisa|bisakah)\b(?:(?!\bapa\b).){0,25}\b(diteruskan|"
               r"disampaikan|dioper|diforward|diteruskan) (ke|kepada) (?:(?!\bapa\b).){0,10}\b("
               r"petugas|pihak yang berwenang|yang berwenang|pejabat|admin|cs|operator)\b"),
]


def asks_for_human(normalized: str) -> bool:
    return any(p.search(normalized) for p in _HUMAN_PATTERNS)
