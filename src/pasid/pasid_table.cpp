#include "pasid/pasid_table.h"

namespace isim::pasid {

const char* to_string(TableError e) {
  switch (e) {
    case TableError::none:
      return "ok";
    case TableError::out_of_range:
      return "PASID beyond the table";
    case TableError::no_memory:
      return "no memory for a table page";
    case TableError::bus_error:
      return "table access outside memory";
    case TableError::not_present:
      return "entry not populated";
  }
  return "?";
}

}  // namespace isim::pasid
