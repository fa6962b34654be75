"""Reference data: administrative divisions, the official institution list, majors."""

from sqlmodel import Field, SQLModel


class Division(SQLModel, table=True):
    """A GB/T 2260 administrative division: province, city or district."""

    code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=64)
    level: int = Field(description="1 province, 2 city, 3 district")
    parent_code: str | None = Field(default=None, max_length=6, index=True)


class Institution(SQLModel, table=True):
    """An institution from the Ministry of Education list, or one added by an operator."""

    code: str = Field(primary_key=True, max_length=10)
    name: str = Field(max_length=128, index=True)
    department: str = Field(default="", max_length=128)
    city: str = Field(default="", max_length=64)
    level: str = Field(default="", max_length=16, description="本科 / 专科 / 中职")
    remarks: str = Field(default="", max_length=64)
    province_code: str = Field(max_length=6, index=True)
    added_by_operator: bool = False


class Major(SQLModel, table=True):
    """A programme (专业) from the national catalogue, by programme level."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, index=True)
    name: str = Field(max_length=64, index=True)
    programme_level: str = Field(
        max_length=16, description="中职 / 高职专科 / 高职本科 / 本科"
    )
