"""The quota areas of the national waiting list: BPS area codes, names and quota weights.

Pure data and parsing (no I/O): callers hand in the text of `daftar_tunggu_haji_2014.csv`
(data.go.id via nusandata, CC BY-SA 4.0) and `bengkulu_2022.md` (seed 003). A quota area is a
province, or a kab/kota where the governor splits the province's quota (DOMAIN.md, "Waiting list
and estimate"); the table has kab/kota rows exactly for the provinces that split.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace

# BPS province codes as used by the 2014 table (Kalimantan Utara still inside 64, Papua Barat 91).
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua Barat",
    "94": "Papua",
}

# Kab/kota of the provinces whose quota is NOT split (the table has only their province row).
# Pilgrims still register at a Kankemenag kab/kota, and the bot shows it, so the generator spreads
# a province-level quota area over these (BPS codes; a plausible subset where a kab/kota has few
# Muslim registrants). Weights are equal: the table gives no per-kab/kota figures for them.
_KABKOTA_TEXT = """
    1101 Kab. Simeulue
    1102 Kab. Aceh Singkil
    1103 Kab. Aceh Selatan
    1104 Kab. Aceh Tenggara
    1105 Kab. Aceh Timur
    1106 Kab. Aceh Tengah
    1107 Kab. Aceh Barat
    1108 Kab. Aceh Besar
    1109 Kab. Pidie
    1110 Kab. Bireuen
    1111 Kab. Aceh Utara
    1112 Kab. Aceh Barat Daya
    1113 Kab. Gayo Lues
    1114 Kab. Aceh Tamiang
    1115 Kab. Nagan Raya
    1116 Kab. Aceh Jaya
    1117 Kab. Bener Meriah
    1118 Kab. Pidie Jaya
    1171 Kota Banda Aceh
    1172 Kota Sabang
    1173 Kota Langsa
    1174 Kota Lhokseumawe
    1175 Kota Subulussalam
    1201 Kab. Nias
    1202 Kab. Mandailing Natal
    1203 Kab. Tapanuli Selatan
    1204 Kab. Tapanuli Tengah
    1205 Kab. Tapanuli Utara
    1206 Kab. Toba Samosir
    1207 Kab. Labuhan Batu
    1208 Kab. Asahan
    1209 Kab. Simalungun
    1210 Kab. Dairi
    1211 Kab. Karo
    1212 Kab. Deli Serdang
    1213 Kab. Langkat
    1214 Kab. Nias Selatan
    1215 Kab. Humbang Hasundutan
    1216 Kab. Pakpak Bharat
    1217 Kab. Samosir
    1218 Kab. Serdang Bedagai
    1219 Kab. Batu Bara
    1220 Kab. Padang Lawas Utara
    1221 Kab. Padang Lawas
    1222 Kab. Labuhan Batu Selatan
    1223 Kab. Labuhan Batu Utara
    1224 Kab. Nias Utara
    1225 Kab. Nias Barat
    1271 Kota Sibolga
    1272 Kota Tanjung Balai
    1273 Kota Pematang Siantar
    1274 Kota Tebing Tinggi
    1275 Kota Medan
    1276 Kota Binjai
    1277 Kota Padangsidimpuan
    1278 Kota Gunungsitoli
    1301 Kab. Kepulauan Mentawai
    1302 Kab. Pesisir Selatan
    1303 Kab. Solok
    1304 Kab. Sijunjung
    1305 Kab. Tanah Datar
    1306 Kab. Padang Pariaman
    1307 Kab. Agam
    1308 Kab. Lima Puluh Kota
    1309 Kab. Pasaman
    1310 Kab. Solok Selatan
    1311 Kab. Dharmasraya
    1312 Kab. Pasaman Barat
    1371 Kota Padang
    1372 Kota Solok
    1373 Kota Sawah Lunto
    1374 Kota Padang Panjang
    1375 Kota Bukittinggi
    1376 Kota Payakumbuh
    1377 Kota Pariaman
    1401 Kab. Kuantan Singingi
    1402 Kab. Indragiri Hulu
    1403 Kab. Indragiri Hilir
    1404 Kab. Pelalawan
    1405 Kab. Siak
    1406 Kab. Kampar
    1407 Kab. Rokan Hulu
    1408 Kab. Bengkalis
    1409 Kab. Rokan Hilir
    1410 Kab. Kepulauan Meranti
    1471 Kota Pekanbaru
    1473 Kota Dumai
    1501 Kab. Kerinci
    1502 Kab. Merangin
    1503 Kab. Sarolangun
    1504 Kab. Batang Hari
    1505 Kab. Muaro Jambi
    1506 Kab. Tanjung Jabung Timur
    1507 Kab. Tanjung Jabung Barat
    1508 Kab. Tebo
    1509 Kab. Bungo
    1571 Kota Jambi
    1572 Kota Sungai Penuh
    1601 Kab. Ogan Komering Ulu
    1602 Kab. Ogan Komering Ilir
    1603 Kab. Muara Enim
    1604 Kab. Lahat
    1605 Kab. Musi Rawas
    1606 Kab. Musi Banyuasin
    1607 Kab. Banyu Asin
    1608 Kab. Ogan Komering Ulu Selatan
    1609 Kab. Ogan Komering Ulu Timur
    1610 Kab. Ogan Ilir
    1611 Kab. Empat Lawang
    1671 Kota Palembang
    1672 Kota Prabumulih
    1673 Kota Pagar Alam
    1674 Kota Lubuklinggau
    1801 Kab. Lampung Barat
    1802 Kab. Tanggamus
    1803 Kab. Lampung Selatan
    1804 Kab. Lampung Timur
    1805 Kab. Lampung Tengah
    1806 Kab. Lampung Utara
    1807 Kab. Way Kanan
    1808 Kab. Tulangbawang
    1809 Kab. Pesawaran
    1810 Kab. Pringsewu
    1811 Kab. Mesuji
    1812 Kab. Tulang Bawang Barat
    1871 Kota Bandar Lampung
    1872 Kota Metro
    1901 Kab. Bangka
    1902 Kab. Belitung
    1903 Kab. Bangka Barat
    1904 Kab. Bangka Tengah
    1905 Kab. Bangka Selatan
    1906 Kab. Belitung Timur
    1971 Kota Pangkal Pinang
    2101 Kab. Karimun
    2102 Kab. Bintan
    2103 Kab. Natuna
    2104 Kab. Lingga
    2105 Kab. Kepulauan Anambas
    2171 Kota Batam
    2172 Kota Tanjung Pinang
    3101 Kab. Kepulauan Seribu
    3171 Kota Jakarta Selatan
    3172 Kota Jakarta Timur
    3173 Kota Jakarta Pusat
    3174 Kota Jakarta Barat
    3175 Kota Jakarta Utara
    3301 Kab. Cilacap
    3302 Kab. Banyumas
    3303 Kab. Purbalingga
    3304 Kab. Banjarnegara
    3305 Kab. Kebumen
    3306 Kab. Purworejo
    3307 Kab. Wonosobo
    3308 Kab. Magelang
    3309 Kab. Boyolali
    3310 Kab. Klaten
    3311 Kab. Sukoharjo
    3312 Kab. Wonogiri
    3313 Kab. Karanganyar
    3314 Kab. Sragen
    3315 Kab. Grobogan
    3316 Kab. Blora
    3317 Kab. Rembang
    3318 Kab. Pati
    3319 Kab. Kudus
    3320 Kab. Jepara
    3321 Kab. Demak
    3322 Kab. Semarang
    3323 Kab. Temanggung
    3324 Kab. Kendal
    3325 Kab. Batang
    3326 Kab. Pekalongan
    3327 Kab. Pemalang
    3328 Kab. Tegal
    3329 Kab. Brebes
    3371 Kota Magelang
    3372 Kota Surakarta
    3373 Kota Salatiga
    3374 Kota Semarang
    3375 Kota Pekalongan
    3376 Kota Tegal
    3401 Kab. Kulon Progo
    3402 Kab. Bantul
    3403 Kab. Gunung Kidul
    3404 Kab. Sleman
    3471 Kota Yogyakarta
    3501 Kab. Pacitan
    3502 Kab. Ponorogo
    3503 Kab. Trenggalek
    3504 Kab. Tulungagung
    3505 Kab. Blitar
    3506 Kab. Kediri
    3507 Kab. Malang
    3508 Kab. Lumajang
    3509 Kab. Jember
    3510 Kab. Banyuwangi
    3511 Kab. Bondowoso
    3512 Kab. Situbondo
    3513 Kab. Probolinggo
    3514 Kab. Pasuruan
    3515 Kab. Sidoarjo
    3516 Kab. Mojokerto
    3517 Kab. Jombang
    3518 Kab. Nganjuk
    3519 Kab. Madiun
    3520 Kab. Magetan
    3521 Kab. Ngawi
    3522 Kab. Bojonegoro
    3523 Kab. Tuban
    3524 Kab. Lamongan
    3525 Kab. Gresik
    3526 Kab. Bangkalan
    3527 Kab. Sampang
    3528 Kab. Pamekasan
    3529 Kab. Sumenep
    3571 Kota Kediri
    3572 Kota Blitar
    3573 Kota Malang
    3574 Kota Probolinggo
    3575 Kota Pasuruan
    3576 Kota Mojokerto
    3577 Kota Madiun
    3578 Kota Surabaya
    3579 Kota Batu
    3601 Kab. Pandeglang
    3602 Kab. Lebak
    3603 Kab. Tangerang
    3604 Kab. Serang
    3671 Kota Tangerang
    3672 Kota Cilegon
    3673 Kota Serang
    3674 Kota Tangerang Selatan
    5101 Kab. Jembrana
    5102 Kab. Tabanan
    5103 Kab. Badung
    5104 Kab. Gianyar
    5105 Kab. Klungkung
    5106 Kab. Bangli
    5107 Kab. Karang Asem
    5108 Kab. Buleleng
    5171 Kota Denpasar
    5201 Kab. Lombok Barat
    5202 Kab. Lombok Tengah
    5203 Kab. Lombok Timur
    5204 Kab. Sumbawa
    5205 Kab. Dompu
    5206 Kab. Bima
    5207 Kab. Sumbawa Barat
    5208 Kab. Lombok Utara
    5271 Kota Mataram
    5272 Kota Bima
    5301 Kab. Sumba Barat
    5302 Kab. Sumba Timur
    5303 Kab. Kupang
    5304 Kab. Timor Tengah Selatan
    5305 Kab. Timor Tengah Utara
    5306 Kab. Belu
    5307 Kab. Alor
    5308 Kab. Lembata
    5309 Kab. Flores Timur
    5310 Kab. Sikka
    5311 Kab. Ende
    5312 Kab. Ngada
    5313 Kab. Manggarai
    5314 Kab. Rote Ndao
    5315 Kab. Manggarai Barat
    5371 Kota Kupang
    6201 Kab. Kotawaringin Barat
    6202 Kab. Kotawaringin Timur
    6203 Kab. Kapuas
    6204 Kab. Barito Selatan
    6205 Kab. Barito Utara
    6206 Kab. Sukamara
    6207 Kab. Lamandau
    6208 Kab. Seruyan
    6209 Kab. Katingan
    6210 Kab. Pulang Pisau
    6211 Kab. Gunung Mas
    6212 Kab. Barito Timur
    6213 Kab. Murung Raya
    6271 Kota Palangka Raya
    6301 Kab. Tanah Laut
    6302 Kab. Kota Baru
    6303 Kab. Banjar
    6304 Kab. Barito Kuala
    6305 Kab. Tapin
    6306 Kab. Hulu Sungai Selatan
    6307 Kab. Hulu Sungai Tengah
    6308 Kab. Hulu Sungai Utara
    6309 Kab. Tabalong
    6310 Kab. Tanah Bumbu
    6311 Kab. Balangan
    6371 Kota Banjarmasin
    6372 Kota Banjar Baru
    7101 Kab. Bolaang Mongondow
    7102 Kab. Minahasa
    7103 Kab. Kepulauan Sangihe
    7105 Kab. Minahasa Selatan
    7106 Kab. Minahasa Utara
    7107 Kab. Bolaang Mongondow Utara
    7110 Kab. Bolaang Mongondow Selatan
    7111 Kab. Bolaang Mongondow Timur
    7171 Kota Manado
    7172 Kota Bitung
    7174 Kota Kotamobagu
    7201 Kab. Banggai Kepulauan
    7202 Kab. Banggai
    7203 Kab. Morowali
    7204 Kab. Poso
    7205 Kab. Donggala
    7206 Kab. Toli-Toli
    7207 Kab. Buol
    7208 Kab. Parigi Moutong
    7209 Kab. Tojo Una-Una
    7210 Kab. Sigi
    7271 Kota Palu
    7401 Kab. Buton
    7402 Kab. Muna
    7403 Kab. Konawe
    7404 Kab. Kolaka
    7405 Kab. Konawe Selatan
    7406 Kab. Bombana
    7407 Kab. Wakatobi
    7408 Kab. Kolaka Utara
    7409 Kab. Buton Utara
    7410 Kab. Konawe Utara
    7471 Kota Kendari
    7472 Kota Baubau
    7501 Kab. Boalemo
    7502 Kab. Gorontalo
    7503 Kab. Pohuwato
    7504 Kab. Bone Bolango
    7505 Kab. Gorontalo Utara
    7571 Kota Gorontalo
    9401 Kab. Merauke
    9403 Kab. Jayapura
    9404 Kab. Nabire
    9408 Kab. Kepulauan Yapen
    9409 Kab. Biak Numfor
    9412 Kab. Mimika
    9419 Kab. Sarmi
    9420 Kab. Keerom
    9471 Kota Jayapura"""

# Bengkulu's 2022 list spells some kab/kota differently from the BPS names.
_BENGKULU_2022_CODES: dict[str, str] = {
    "Kota Bengkulu": "1771",
    "Bengkulu Utara": "1703",
    "Bengkulu Selatan": "1701",
    "Rejang Lebong": "1702",
    "Muko-Muko": "1706",
    "Seluma": "1705",
    "Kaur": "1704",
    "Kepahyang": "1708",
    "Lebong": "1707",
    "Bengkulu Tengah": "1709",
}


@dataclass(frozen=True, slots=True)
class KabKota:
    kd_kab: str
    name: str


@dataclass(frozen=True, slots=True)
class QuotaArea:
    code: str  # BPS code of the area: "3500" for a province, "3201" for a kab/kota
    kd_prop: str
    propinsi: str
    kuota: int
    registrants: float  # relative weight of the area's waiting list
    lunas_tunda_rate: float  # lunas tunda per registrant (2014 table)
    kabkota: tuple[KabKota, ...]  # one for a kab/kota area; the province's kab/kota otherwise

    @property
    def split(self) -> bool:
        return not self.code.endswith("00")


def kabkota_of_unsplit_provinces() -> dict[str, tuple[KabKota, ...]]:
    by_prov: dict[str, list[KabKota]] = {}
    for line in _KABKOTA_TEXT.strip().splitlines():
        code, name = line.strip().split(" ", 1)
        by_prov.setdefault(code[:2], []).append(KabKota(code, name))
    return {prov: tuple(items) for prov, items in by_prov.items()}


def parse_bengkulu_2022(markdown: str) -> dict[str, int]:
    """Waiting list per Bengkulu kab/kota on 25 Feb 2022, keyed by BPS code."""
    section = markdown.split("## Rekapitulasi")[0]
    counts: dict[str, int] = {}
    for match in re.finditer(r"^\| ([^|*]+?) \| (\d+) \|$", section, re.MULTILINE):
        counts[_BENGKULU_2022_CODES[match.group(1)]] = int(match.group(2))
    return counts


def parse_areas(table_csv: str, bengkulu_2022: dict[str, int] | None = None) -> list[QuotaArea]:
    """Quota areas in BPS code order. Bengkulu's registrants follow the 2022 proportions."""
    unsplit = kabkota_of_unsplit_provinces()
    areas: list[QuotaArea] = []
    for row in csv.DictReader(io.StringIO(table_csv)):
        code = row["kode_daerah"].strip()
        prov = code[:2]
        registrants = int(row["jumlah_pendaftaran"])
        lunas_tunda = int(row["jumlah_lunas_tunda"])
        name = row["nama_daerah"].strip()
        if code.endswith("00"):
            kabkota = unsplit.get(prov) or (KabKota(code, PROVINCES[prov]),)
        else:
            kabkota = (KabKota(code, name),)
        areas.append(
            QuotaArea(
                code=code,
                kd_prop=prov,
                propinsi=PROVINCES[prov],
                kuota=int(row["kuota"]),
                registrants=float(registrants),
                lunas_tunda_rate=lunas_tunda / registrants if registrants else 0.0,
                kabkota=kabkota,
            )
        )
    if bengkulu_2022:
        areas = _reweight(areas, "17", bengkulu_2022)
    return sorted(areas, key=lambda a: a.code)


def _reweight(areas: list[QuotaArea], prov: str, counts: dict[str, int]) -> list[QuotaArea]:
    """Keep the province's total registrants, split them by `counts`' proportions."""
    total = sum(a.registrants for a in areas if a.kd_prop == prov)
    weight = sum(counts.values())
    out = []
    for area in areas:
        if area.kd_prop == prov and area.code in counts:
            share = total * counts[area.code] / weight
            area = replace(area, registrants=share)
        out.append(area)
    return out
