"""Which language a question is written in (issue 15, item 4)."""

import pytest

from knowledge.language import detect


@pytest.mark.parametrize("text", [
    "what documents do I need for pelunasan",
    "when will I depart? my number 3509412276",
    "My father passed away before his hajj departure. Can his place be transferred to me?",
    "how much does hajj cost this year",
    "what is siskohat",
    "thank you",
    # English words that are also in the Indonesian root list ("talk", "human") count English
    "talk to a human please",
    "can i speak with a real person",
    "my mother's porsi number is 3509412276",
])
def test_english(text):
    assert detect(text) == "en"


@pytest.mark.parametrize("text", [
    "dokumen apa yang harus dibawa waktu pelunasan",
    "biaya haji tahun ini brp",
    "apa itu living cost",
    "gmn caranya ganti nomor hp yg terdaftar di siskohat",
    # regional words stay Indonesian
    "piye carane ngurus pelimpahan",
    "kumaha cara daftar haji teh",
    "uda, ambo nio tanyo, porsi amak ambo bisa dilimpahkan ka ambo ko",
    "BAA CARONYO MANGALIAN PORSI AMAK NAN LAH MANINGGA",
])
def test_indonesian(text):
    assert detect(text) == "id"


@pytest.mark.parametrize("text", ["ok", "pelimpahan?", "status porsi", "kloter", "siskohat",
                                  "anak saya 13 tahun, can he register?"])
def test_short_or_mixed_texts_keep_the_chats_language(text):
    assert detect(text) is None
