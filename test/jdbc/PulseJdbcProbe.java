// A real JDBC user against `pulse run`: the official ClickHouse driver (com.clickhouse:clickhouse-jdbc)
// on the embedded query interface. test/integration/jdbc.test.ts compiles and runs it and compares
// each answer with `pulse query`. Usage: java -cp '<driver jars>:<dir>' PulseJdbcProbe JDBC_URL EVENT_TYPE...
// Every answer is one tab-separated line whose first field names it, so the test parses them without
// guessing: group <event_type> <count>, prepared <event_type> <count>, table <name> <schema>,
// column <name> <type>, and `done` last (a probe cut short never looks complete).
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;

public final class PulseJdbcProbe {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    try (Connection connection = DriverManager.getConnection(url)) {
      System.out.println("driver\t" + connection.getMetaData().getDriverName() + "\t" + connection.getMetaData().getDriverVersion());
      try (Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery("SELECT event_type, count() AS n FROM client_events GROUP BY event_type ORDER BY event_type")) {
        while (rows.next()) System.out.println("group\t" + rows.getString("event_type") + "\t" + rows.getLong("n"));
      }
      // One statement, executed once per value: the parameter must stay a value whatever it holds.
      try (PreparedStatement prepared = connection.prepareStatement("SELECT count() FROM pulse.client_events WHERE event_type = ?")) {
        for (int at = 1; at < args.length; at++) {
          prepared.setString(1, args[at]);
          try (ResultSet rows = prepared.executeQuery()) {
            while (rows.next()) System.out.println("prepared\t" + args[at] + "\t" + rows.getLong(1));
          }
        }
      }
      DatabaseMetaData meta = connection.getMetaData();
      try (ResultSet tables = meta.getTables(null, "pulse", "%", null)) {
        while (tables.next()) System.out.println("table\t" + tables.getString("TABLE_NAME") + "\t" + tables.getString("TABLE_SCHEM"));
      }
      try (ResultSet columns = meta.getColumns(null, "pulse", "client_events", "%")) {
        while (columns.next()) System.out.println("column\t" + columns.getString("COLUMN_NAME") + "\t" + columns.getString("TYPE_NAME"));
      }
    }
    System.out.println("done");
  }
}
