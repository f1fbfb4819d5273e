"""A few hand-written rows in the Siskohat export format, shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

from integration.wire import EXPORT_COLUMNS

HEADER = ",".join(EXPORT_COLUMNS)

# kd_porsi,nama,jenis_kelamin,tgl_lahir,status_nikah,no_hp,kd_prop,propinsi,kd_kab,kabupaten,
# tgl_daftar,bank,status_jemaah,posisiporsi,kuotapropinsi,berangkatmasehi,berangkathijriah,
# status_bayar,tahun_pelunasan,tahap_pelunasan,status_cadangan,status_pelunasan,status_istithaah,
# tgl_istithaah,vaksin_meningitis,laik_terbang,pernah_haji,tahun_haji_terakhir,asal_pelimpahan,
# porsi_terkait,kategori_prioritas,embarkasi,biaya_bipih,setoran_awal,nilai_manfaat,
# jumlah_pelunasan,updated_at
LINES = [
    # an older version of 1300477219 (must be superseded by the later line below)
    "1300477219,AHMAD FAUZI,L,1958-03-14,KAWIN,6281234567890,17,BENGKULU,1771,KOTA BENGKULU,"
    "2012-06-01,BANK SYARIAH INDONESIA,AKTIF,999,1600,2030,1452,BELUM LUNAS,,,N,BELUM LUNAS,"
    "BELUM DIPERIKSA,,N,,N,,N,,,PDG,,25000000,,,2024-01-01T08:00:00",
    "1300477219,AHMAD FAUZI,L,1958-03-14,KAWIN,6281234567890,17,BENGKULU,1771,KOTA BENGKULU,"
    "2012-06-01,BANK SYARIAH INDONESIA,AKTIF,1234,1600,2026,1448,LUNAS,1447,TAHAP I,N,LUNAS,"
    "ISTITHAAH,2025-02-10,Y,Y,N,,N,1300477220,LANSIA,PDG,56046000,25000000,9500000,21546000,"
    "2024-03-02T09:30:00+07:00",
    '1300477220,SITI AMINAH,P,1960-07-01,"CERAI MATI",,17,BENGKULU,1771,KOTA BENGKULU,'
    "2012-06-01,BANK MUAMALAT,BATAL,,1600,,,BELUM LUNAS,,,,,,,,,N,,N,1300477219,,PDG,,"
    "25000000,,,2024-03-01T10:00:00",
    '0100000001,"HASAN, BIN ALI",L,1970-01-31,KAWIN,6285200000001,11,ACEH,1101,KAB. SIMEULUE,'
    "2015-09-09,BANK ACEH SYARIAH,PINDAH,54321,4378,2047,1469,BELUM LUNAS,,,,,,,,,Y,2019,Y,,,"
    "BTJ,,25000000,,,2024-01-01T07:00:00",
    "3500000002,DEWI LESTARI,P,1975-12-31,BELUM KAWIN,6281111111111,35,JAWA TIMUR,3578,"
    "KOTA SURABAYA,2011-02-28,BANK JATIM,WAFAT,12,35152,2025,1446,LUNAS TUNDA,1446,TAHAP II,Y,"
    "LUNAS TUNDA,TIDAK ISTITHAAH SEMENTARA,2024-11-11,N,N,N,,N,,CADANGAN,SUB,55000000,25000000,"
    "8000000,22000000,2024-03-02T16:59:59Z",
]


def write_csv(path: Path) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(LINES) + "\n", encoding="utf-8")
    return path
