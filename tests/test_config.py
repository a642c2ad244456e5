from pathlib import Path

import pytest

import agentkit as ak


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agentkit.toml"
    path.write_text(text)
    return path


def test_minimal_config_gets_embedded_defaults(tmp_path: Path) -> None:
    config = ak.load_config(write(tmp_path, '[project]\nname = "x"\n'))
    assert config.catalog_uri == f"sqlite:///{tmp_path.resolve()}/.agentkit/catalog.db"
    assert config.warehouse_uri == f"file://{tmp_path.resolve()}/.agentkit/warehouse"
    assert config.online.store == "local"
    assert config.online_path == tmp_path.resolve() / ".agentkit/online"


def test_unknown_key_is_an_error_naming_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x"\n[offline]\ncatalgo = "sqlite:///x.db"\n')
    with pytest.raises(ak.ConfigError) as info:
        ak.load_config(path)
    assert "offline.catalgo" in info.value.message
    assert str(path) in info.value.message


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[project\nname=")
    with pytest.raises(ak.ConfigError) as info:
        ak.load_config(path)
    assert info.value.code == "config_syntax"
    assert str(path) in info.value.message


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ak.ConfigError) as info:
        ak.load_config(tmp_path / "nope.toml")
    assert info.value.code == "config_missing"
    assert "agentkit init" in info.value.message


def test_config_is_frozen(tmp_path: Path) -> None:
    config = ak.load_config(write(tmp_path, '[project]\nname = "x"\n'))
    with pytest.raises(Exception, match="frozen"):
        config.project.name = "y"  # type: ignore[misc]


def test_postgres_and_rest_catalog_uris_pass_through(tmp_path: Path) -> None:
    pg = ak.load_config(write(tmp_path, '[project]\nname="x"\n[offline]\ncatalog="postgresql+psycopg2://u@h/db"\n'))
    assert pg.catalog_uri == "postgresql+psycopg2://u@h/db"
    rest = ak.load_config(write(tmp_path, '[project]\nname="x"\n[offline]\ncatalog="https://ice.example/api"\n'))
    assert rest.catalog_uri == "https://ice.example/api"
